package pbwire

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestVarintMatchesProtowire(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 300, 1<<14 - 1, 1 << 14, 1<<35 + 7, 1<<63 + 5, ^uint64(0)} {
		got := AppendVarint(nil, v)
		want := protowire.AppendVarint(nil, v)
		if !bytes.Equal(got, want) {
			t.Errorf("AppendVarint(%d) = %x, want %x", v, got, want)
		}
		if SizeVarint(v) != len(want) {
			t.Errorf("SizeVarint(%d) = %d, want %d", v, SizeVarint(v), len(want))
		}
	}
}

func TestNestedMessageLengths(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, 70000} {
		body := bytes.Repeat([]byte{'x'}, n)
		b := []byte{0xAA}
		b, m := BeginMessage(b, 3)
		b = append(b, body...)
		b = EndMessage(b, m)

		want := protowire.AppendTag([]byte{0xAA}, 3, protowire.BytesType)
		want = protowire.AppendBytes(want, body)
		if !bytes.Equal(b, want) {
			t.Fatalf("n=%d: nested encoding differs from protowire", n)
		}
	}
}

func TestFieldsDecode(t *testing.T) {
	var b []byte
	b = AppendDouble(b, 1, 2.5)
	b = AppendInt64(b, 2, -3)
	b = AppendString(b, 3, "hé")
	b = AppendFixed64Field(b, 4, 42)
	b, m := BeginMessage(b, 5)
	b = AppendUint64(b, 1, 9)
	b = EndMessage(b, m)

	num, typ, n := protowire.ConsumeTag(b)
	if num != 1 || typ != protowire.Fixed64Type || n < 0 {
		t.Fatalf("field 1: %d %d %d", num, typ, n)
	}
	b = b[n:]
	v, n := protowire.ConsumeFixed64(b)
	if n < 0 || v != 0x4004000000000000 {
		t.Fatalf("double: %x", v)
	}
	b = b[n:]
	_, _, n = protowire.ConsumeTag(b)
	b = b[n:]
	iv, n := protowire.ConsumeVarint(b)
	if int64(iv) != -3 {
		t.Fatalf("int64: %d", int64(iv))
	}
	b = b[n:]
	_, _, n = protowire.ConsumeTag(b)
	b = b[n:]
	s, n := protowire.ConsumeString(b)
	if s != "hé" {
		t.Fatalf("string: %q", s)
	}
	b = b[n:]
	_, _, n = protowire.ConsumeTag(b)
	b = b[n:]
	f, n := protowire.ConsumeFixed64(b)
	if f != 42 {
		t.Fatalf("fixed64: %d", f)
	}
	b = b[n:]
	num, typ, n = protowire.ConsumeTag(b)
	if num != 5 || typ != protowire.BytesType {
		t.Fatalf("field 5: %d %d", num, typ)
	}
	b = b[n:]
	inner, n := protowire.ConsumeBytes(b)
	if n != len(b) || !bytes.Equal(inner, AppendUint64(nil, 1, 9)) {
		t.Fatalf("inner: %x", inner)
	}
}
