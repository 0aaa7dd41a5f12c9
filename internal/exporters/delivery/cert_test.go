package delivery

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeCertPEM(t *testing.T, path string, der []byte) {
	t.Helper()
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gopulse test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, der: der}
}

// issue returns a PEM certificate and key signed by the CA.
func (ca *testCA) issue(t *testing.T, cn string, usage x509.ExtKeyUsage, dir string) (certFile, keyFile string, pair tls.Certificate) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
		DNSNames: []string{cn}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, cn+".pem"), filepath.Join(dir, cn+"-key.pem")
	writeCertPEM(t, certFile, der)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	pair, err = tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pair
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t)
	caFile := filepath.Join(dir, "ca.pem")
	writeCertPEM(t, caFile, ca.der)
	_, _, serverPair := ca.issue(t, "backend.test", x509.ExtKeyUsageServerAuth, dir)
	clientCert, clientKey, _ := ca.issue(t, "gopulse", x509.ExtKeyUsageClientAuth, dir)

	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	var user string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user = r.TLS.PeerCertificates[0].Subject.CommonName
		u, p, _ := r.BasicAuth()
		user += "|" + u + ":" + p
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverPair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	defer srv.Close()

	tr, err := NewHTTPTransport(HTTPConfig{
		Timeout:  2 * time.Second,
		TLS:      TLSConfig{CAFile: caFile, CertFile: clientCert, KeyFile: clientKey, ServerName: "backend.test"},
		Username: "u", Password: "p",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(context.Background(), Endpoint{URL: srv.URL}, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if user != "gopulse|u:p" {
		t.Errorf("server saw %q", user)
	}
	// Without the client certificate the server refuses the handshake.
	noCert, _ := NewHTTPTransport(HTTPConfig{Timeout: 2 * time.Second, TLS: TLSConfig{CAFile: caFile, ServerName: "backend.test"}}, nil)
	if err := noCert.Send(context.Background(), Endpoint{URL: srv.URL}, []byte("x")); err == nil {
		t.Error("handshake without client certificate succeeded")
	}
	// insecure_skip_verify accepts any server certificate (but still needs
	// the client certificate here).
	insecure, _ := NewHTTPTransport(HTTPConfig{Timeout: 2 * time.Second, TLS: TLSConfig{InsecureSkipVerify: true, CertFile: clientCert, KeyFile: clientKey}}, nil)
	if err := insecure.Send(context.Background(), Endpoint{URL: srv.URL}, []byte("x")); err != nil {
		t.Errorf("insecure_skip_verify: %v", err)
	}
}
