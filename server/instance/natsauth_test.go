package instance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestNATSAuthOptions: the credentials and TLS files of an external NATS
// reach the connection's options, and none are set without them.
func TestNATSAuthOptions(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeSelfSigned(t, dir)
	// A user credentials file: a JWT and an NKey seed (the decorated format
	// of `nsc generate creds`; a test user of the NATS docs).
	creds := filepath.Join(dir, "user.creds")
	const credsText = `-----BEGIN NATS USER JWT-----
eyJ0eXAiOiJqd3QiLCJhbGciOiJlZDI1NTE5In0.eyJqdGkiOiJUVk1EUU1GUE5JTkZBNDdMS0lVSFpJQ1hMRU9QSDVBVE1UNlRLWVdITzNZWVBYNVBIRkhRIiwiaWF0IjoxNTY1ODg5OTk4LCJpc3MiOiJBQU00NkE1N0k1S0hWWEdGRVlBUTNSVzVHRVhHWFFHQTVNMkU2Mlk3SFFTWDM0TFZZWU5YNTJNRyIsIm5hbWUiOiJ0ZXN0IiwibmF0cyI6eyJwdWIiOnt9LCJzdWIiOnt9fX0.dummy
------END NATS USER JWT------

-----BEGIN USER NKEY SEED-----
SUAGMJH5XLGZKQQWAWKRZJIGMOU4HPFUYLXJMXOO5NLFEO2OOQJ5LPRDPM
------END USER NKEY SEED------
`
	if err := os.WriteFile(creds, []byte(credsText), 0o600); err != nil {
		t.Fatal(err)
	}
	apply := func(cfg Config) nats.Options {
		o := nats.GetDefaultOptions()
		for _, opt := range natsAuthOptions(cfg) {
			if err := opt(&o); err != nil {
				t.Fatalf("option: %v", err)
			}
		}
		return o
	}
	none := apply(Config{NATSURL: "nats://127.0.0.1:4222"})
	if none.UserJWT != nil || none.TLSConfig != nil || none.Secure {
		t.Fatal("auth options set without files")
	}
	o := apply(Config{NATSURL: "tls://nats:4222", NATSCreds: creds, NATSCA: certFile, NATSCert: certFile, NATSKey: keyFile})
	if o.UserJWT == nil || o.SignatureCB == nil {
		t.Fatal("credentials not used")
	}
	if jwt, err := o.UserJWT(); err != nil || jwt == "" {
		t.Fatalf("credentials file not read: %q %v", jwt, err)
	}
	if !o.Secure || o.RootCAsCB == nil {
		t.Fatal("CA not used")
	}
	if pool, err := o.RootCAsCB(); err != nil || pool == nil {
		t.Fatalf("CA file not read: %v", err)
	}
	if o.TLSCertCB == nil && len(o.TLSConfig.Certificates) == 0 {
		t.Fatal("client certificate not used")
	}
}

// writeSelfSigned writes a self-signed certificate and its key as PEM.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "nats"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, DNSNames: []string{"nats"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
