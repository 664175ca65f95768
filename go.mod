module github.com/minidl/minidl

go 1.26
