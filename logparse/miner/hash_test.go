package miner

import (
	"math/rand/v2"
	"testing"
)

// hashPieceRef is hashPiece as it was before tail: the last bytes read
// one at a time.
func hashPieceRef(h uint64, b []byte) uint64 {
	for len(b) >= 8 {
		h = mix(h^leUint64(b)^hk1, hk0)
		b = b[8:]
	}
	var t uint64
	for i, c := range b {
		t |= uint64(c) << (8 * i)
	}
	return mix(h^t^hk2, hk0^uint64(len(b)+1))
}

func leUint64(b []byte) uint64 {
	var x uint64
	for i := 7; i >= 0; i-- {
		x = x<<8 | uint64(b[i])
	}
	return x
}

// TestHashPieceAsReference: signatures hash as before (the ids of
// templates do not depend on it, but the signature index does), on every
// length up to 40 and bytes of every value.
func TestHashPieceAsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 40)
	for round := 0; round < 2000; round++ {
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		h := rng.Uint64()
		for n := 0; n <= len(buf); n++ {
			if got, want := hashPiece(h, buf[:n]), hashPieceRef(h, buf[:n]); got != want {
				t.Fatalf("hashPiece(%#x, % x) = %#x, reference %#x", h, buf[:n], got, want)
			}
		}
	}
}
