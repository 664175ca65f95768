module github.com/minidl/minidl/bench

go 1.26

require github.com/minidl/minidl v0.0.0

require gonum.org/v1/gonum v0.17.0

replace github.com/minidl/minidl => ../
