package agent

import (
	"os"
	"testing"

	"net/http"
	"net/http/httptest"
)

func httptestRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
func mustReq(path string) *http.Request            { return httptest.NewRequest("GET", path, nil) }

func appendFile(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}
