package freetext

import "testing"

// isNameTokenRef is isNameToken as it was before nameBytes: a compare
// per byte.
func isNameTokenRef(b []byte) bool {
	if len(b) == 0 || len(b) > 96 || !(isDigit(b[0]) || b[0]|0x20 >= 'a' && b[0]|0x20 <= 'z') {
		return false
	}
	for _, c := range b {
		if !(isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '.' || c == '-' || c == '_' || c == '$' || c == '/' || c == '(' || c == ')') {
			return false
		}
	}
	return true
}

// TestNameBytes compares isNameToken with the reference on every byte
// first, alone and after a name, and on every byte after it.
func TestNameBytes(t *testing.T) {
	for c := 0; c < 256; c++ {
		for _, b := range [][]byte{{byte(c)}, {byte(c), 'x'}, {'a', byte(c)}, {'7', byte(c), 'z'}} {
			if got, want := isNameToken(b), isNameTokenRef(b); got != want {
				t.Errorf("isNameToken(%q) = %v, reference %v", b, got, want)
			}
		}
	}
	long := make([]byte, 97)
	for i := range long {
		long[i] = 'a'
	}
	for _, b := range [][]byte{nil, long[:96], long, []byte("dfs.DataNode$PacketResponder"), []byte("pool-3-thread-12"), []byte("org.apache.Foo(1)"), []byte(".hidden"), []byte("a b")} {
		if got, want := isNameToken(b), isNameTokenRef(b); got != want {
			t.Errorf("isNameToken(%q) = %v, reference %v", b, got, want)
		}
	}
}

// FuzzNameTokenAsReference checks isNameToken against the reference.
func FuzzNameTokenAsReference(f *testing.F) {
	for _, s := range []string{"dfs.DataNode$PacketResponder", "main", "a:b", "x y", "(", "9z", "_a"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := isNameToken(b), isNameTokenRef(b); got != want {
			t.Errorf("isNameToken(%q) = %v, reference %v", b, got, want)
		}
	})
}

// isModulePathRef is isModulePath before its test for a ':'.
func isModulePathRef(b []byte) bool {
	parts := 0
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != ':' {
			i++
		}
		if i == 0 || !isNameTokenRef(b[:i]) {
			return false
		}
		parts++
		if i == len(b) {
			break
		}
		if i+2 >= len(b) || b[i+1] != ':' {
			return false
		}
		b = b[i+2:]
	}
	return parts >= 2
}

func TestModulePath(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"tokio::net", true},
		{"app::db::pool", true},
		{"hyper::proto::h1", true},
		{"dfs.DataNode$PacketResponder", false}, // one name: no ':'
		{"main", false},
		{"", false},
		{"a:b", false},
		{"a::", false},
		{"::a", false},
		{"a::b c", false},
	} {
		if got := isModulePath([]byte(c.in)); got != c.want {
			t.Errorf("isModulePath(%q) = %v, want %v", c.in, got, c.want)
		}
		if got := isModulePathRef([]byte(c.in)); got != c.want {
			t.Errorf("reference(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// FuzzModulePathAsReference checks isModulePath against the reference.
func FuzzModulePathAsReference(f *testing.F) {
	for _, s := range []string{"tokio::net", "a::b::c", "dfs.DataNode", "a:b", "::"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := isModulePath(b), isModulePathRef(b); got != want {
			t.Errorf("isModulePath(%q) = %v, reference %v", b, got, want)
		}
	})
}
