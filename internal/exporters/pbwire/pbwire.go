// Package pbwire appends protocol buffer wire-format fields to a byte slice.
// It is the hand-written encoder shared by the exporters: every function takes
// and returns the destination slice, so a caller that keeps its buffer between
// requests encodes without allocating.
//
// Nested messages are written with BeginMessage/EndMessage: BeginMessage
// reserves one length byte, EndMessage patches the real length in and shifts
// the body when the length needs more than one byte, so the output always uses
// minimal varints.
package pbwire

import (
	"math"
	"math/bits"
)

// Wire types.
const (
	WireVarint  = 0
	WireFixed64 = 1
	WireBytes   = 2
	WireFixed32 = 5
)

// AppendVarint appends v as a base-128 varint.
func AppendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// SizeVarint returns the encoded size of v.
func SizeVarint(v uint64) int {
	return int(9*uint32(bits.Len64(v))+64) / 64
}

// AppendTag appends a field key.
func AppendTag(b []byte, field int, wire int) []byte {
	return AppendVarint(b, uint64(field)<<3|uint64(wire))
}

// AppendUint64 appends a varint field (uint64, int64 as two's complement, bool, enum).
func AppendUint64(b []byte, field int, v uint64) []byte {
	b = AppendTag(b, field, WireVarint)
	return AppendVarint(b, v)
}

// AppendInt64 appends an int64 field.
func AppendInt64(b []byte, field int, v int64) []byte {
	return AppendUint64(b, field, uint64(v))
}

// AppendDouble appends a double field.
func AppendDouble(b []byte, field int, v float64) []byte {
	b = AppendTag(b, field, WireFixed64)
	return AppendFixed64(b, math.Float64bits(v))
}

// AppendFixed64 appends 8 little-endian bytes (no tag).
func AppendFixed64(b []byte, v uint64) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24),
		byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
}

// AppendFixed64Field appends a fixed64 field.
func AppendFixed64Field(b []byte, field int, v uint64) []byte {
	b = AppendTag(b, field, WireFixed64)
	return AppendFixed64(b, v)
}

// AppendFixed32 appends 4 little-endian bytes (no tag).
func AppendFixed32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// AppendString appends a string field, even when s is empty.
func AppendString(b []byte, field int, s string) []byte {
	b = AppendTag(b, field, WireBytes)
	b = AppendVarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendBytes appends a bytes field, even when p is empty.
func AppendBytes(b []byte, field int, p []byte) []byte {
	b = AppendTag(b, field, WireBytes)
	b = AppendVarint(b, uint64(len(p)))
	return append(b, p...)
}

// BeginMessage appends the key of an embedded message (or packed field) and
// reserves one length byte. It returns the buffer and the mark to pass to
// EndMessage.
func BeginMessage(b []byte, field int) ([]byte, int) {
	b = AppendTag(b, field, WireBytes)
	b = append(b, 0)
	return b, len(b)
}

// EndMessage writes the length of the message begun at mark.
func EndMessage(b []byte, mark int) []byte {
	n := len(b) - mark
	if n < 0x80 {
		b[mark-1] = byte(n)
		return b
	}
	extra := SizeVarint(uint64(n)) - 1
	for i := 0; i < extra; i++ {
		b = append(b, 0)
	}
	copy(b[mark+extra:], b[mark:mark+n])
	lb := b[mark-1 : mark-1 : mark+extra]
	AppendVarint(lb, uint64(n))
	return b
}
