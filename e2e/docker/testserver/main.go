// Command testserver is the upstream and the JWKS server of the Envoy
// end-to-end tests (e2e/docker). It uses the standard library only, so the
// compose file runs it with `go run main.go` in a stock golang image, with
// no module download; the local-proxy run of the same suite builds it
// natively.
//
//	testserver -upstream :8080          the upstream behind Envoy
//	testserver -jwks :8081 -dir /data   serves /data/jwks.json at /jwks.json
//
// Each listener prints "listening <role> <address>" once it accepts
// connections, so a parent process can find ports chosen with ":0".
//
// Upstream paths:
//
//	/healthz               200 "ok"
//	/users/{id}/profile    a JSON profile holding secrets (password, card number)
//	/boom                  a 500 whose body leaks internals (to be sanitised)
//	anything else          a JSON echo of the request: method, path, headers, body size
//
// Every upstream response carries Server and X-Powered-By (which apiguard
// removes) and an explicit Content-Length (which apiguard must drop when it
// rewrites a body).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	upstream := flag.String("upstream", "", "serve the upstream on this address")
	jwks := flag.String("jwks", "", "serve the JWKS on this address")
	dir := flag.String("dir", ".", "directory holding jwks.json (read on every request)")
	flag.Parse()
	if *upstream == "" && *jwks == "" {
		log.Fatal("testserver: give -upstream and/or -jwks")
	}
	errs := make(chan error, 2)
	if *upstream != "" {
		go func() { errs <- serve("upstream", *upstream, upstreamHandler()) }()
	}
	if *jwks != "" {
		go func() { errs <- serve("jwks", *jwks, jwksHandler(*dir)) }()
	}
	log.Fatal(<-errs)
}

func serve(role, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening %s %s\n", role, ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// echo is what the upstream answers for paths it has no special answer for.
type echo struct {
	Method    string              `json:"method"`
	Path      string              `json:"path"`
	Headers   map[string][]string `json:"headers"`
	BodyBytes int64               `json:"body_bytes"`
}

func upstreamHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "testserver/1.0")
		w.Header().Set("X-Powered-By", "e2e")
		path := r.URL.Path
		switch {
		case path == "/healthz":
			write(w, http.StatusOK, "text/plain", []byte("ok"))
		case path == "/boom":
			write(w, http.StatusInternalServerError, "text/plain",
				[]byte("panic: db password=hunter2 at /srv/app/orders.go:42"))
		case strings.HasPrefix(path, "/users/") && strings.HasSuffix(path, "/profile"):
			id := strings.TrimSuffix(strings.TrimPrefix(path, "/users/"), "/profile")
			body, _ := json.Marshal(map[string]any{
				"id":       id,
				"name":     "Test User",
				"password": "hunter2",
				"card":     map[string]string{"brand": "visa", "number": "4111111111111111"},
			})
			write(w, http.StatusOK, "application/json", body)
		default:
			n, _ := io.Copy(io.Discard, r.Body)
			hs := map[string][]string{}
			for k, v := range r.Header {
				hs[strings.ToLower(k)] = v
			}
			body, _ := json.Marshal(echo{Method: r.Method, Path: r.URL.RequestURI(), Headers: hs, BodyBytes: n})
			write(w, http.StatusOK, "application/json", body)
		}
	})
}

// jwksHandler serves dir/jwks.json, read on every request so that a test
// can rotate keys by rewriting the file.
func jwksHandler(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			write(w, http.StatusOK, "text/plain", []byte("ok"))
			return
		}
		if r.URL.Path != "/jwks.json" {
			write(w, http.StatusNotFound, "text/plain", []byte("not found"))
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, "jwks.json"))
		if err != nil {
			write(w, http.StatusServiceUnavailable, "text/plain", []byte("no jwks.json yet"))
			return
		}
		write(w, http.StatusOK, "application/jwk-set+json", b)
	})
}

func write(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
