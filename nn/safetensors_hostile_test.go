package nn

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// withHeader returns a safetensors file made of header and data.
func withHeader(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

// TestSafetensorsErrorsQuoteLittle checks that a hostile header of a
// megabyte gives an error of a line, whatever part of it is hostile: the
// text of an error quotes at most a bounded excerpt of the file.
func TestSafetensorsErrorsQuoteLittle(t *testing.T) {
	const n = 1 << 20
	long := strings.Repeat("A", n)
	digits := strings.Repeat("1", n)
	ones := strings.Repeat("1,", n/2) + "1"
	entry := func(fields string) string { return `{"t":{` + fields + `}}` }
	tests := []struct {
		name, header string
		want         string
	}{
		{"unknown field", entry(`"dtype":"F64","shape":[1],"data_offsets":[0,8],"` + long + `":1`), "unknown field"},
		{"long number in a shape", entry(`"dtype":"F64","shape":[` + digits + `],"data_offsets":[0,8]`), "cannot unmarshal number"},
		{"long number in the metadata", `{"__metadata__":{"k":` + digits + `}}`, "metadata is not an object of strings"},
		{"negative dimension after a million", entry(`"dtype":"F64","shape":[` + ones + `,-1],"data_offsets":[0,8]`), "a negative dimension"},
		{"a shape too large", entry(`"dtype":"F64","shape":[` + strings.Repeat("2,", n/2) + `2],"data_offsets":[0,8]`), "is too large"},
		{"a shape of a million ones", entry(`"dtype":"F64","shape":[` + ones + `],"data_offsets":[0,16]`), "needs 8 bytes"},
		{"a million data offsets", entry(`"dtype":"F64","shape":[1],"data_offsets":[` + ones + `]`), "data_offsets"},
		{"long dtype", entry(`"dtype":"` + long + `","shape":[1],"data_offsets":[0,8]`), "is not supported"},
		{"long name", `{"` + long + `":{"dtype":"F64","shape":[1],"data_offsets":[0,9]}}`, "needs 8 bytes"},
		{"long string where a number belongs", entry(`"dtype":"F64","shape":["` + long + `"],"data_offsets":[0,8]`), "cannot unmarshal string"},
		{"syntax error after a long key", `{"` + long + `" 1}`, "not valid JSON"},
	}
	for _, tt := range tests {
		_, _, err := ReadSafetensors(withHeader(tt.header, make([]byte, 8)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %.300v; want one containing %q", tt.name, err, tt.want)
			continue
		}
		if len(err.Error()) > 400 {
			t.Errorf("%s: an error of %d bytes: %.300s…", tt.name, len(err.Error()), err)
		}
	}
}
