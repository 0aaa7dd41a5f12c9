package pipeline

import (
	"net/http"
	"net/http/httptest"
)

func httptestRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
func mustReq(path string) *http.Request            { return httptest.NewRequest("GET", path, nil) }
