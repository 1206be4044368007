// Package web is hopcheck's paste page: a small HTTP server, meant for
// loopback, where a person pastes a message's headers or a bounce (or
// uploads an .eml) and gets the HTML report, with links to download it and
// its JSON. Pages run no script and load nothing; nothing pasted is stored
// or logged.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"time"

	"hopcheck/analyze"
	"hopcheck/dns"
	"hopcheck/parse"
	"hopcheck/report"
)

// MaxRequestBytes bounds the body of a request: a paste or an upload, with
// the form around it.
const MaxRequestBytes = 10 << 20

// drainBytes is how much of a refused oversized body is still read, so
// that the browser, which is still sending, gets the error page rather
// than a reset connection.
const drainBytes = 64 << 20

// analysisTimeout bounds one analysis: its DNS lookups run in a few round
// trips, each bounded by the resolver's own timeout.
const analysisTimeout = 45 * time.Second

// ContentSecurityPolicy is sent with every response: the reports' policy
// (nothing loads or runs; the one stylesheet by its hash; forms post only
// here) and no framing.
var ContentSecurityPolicy = report.ContentSecurityPolicy + "; frame-ancestors 'none'"

// Config is what the page analyses with: the command line's DNS setup.
type Config struct {
	Resolver     dns.Resolver   // nil: offline
	ResolverName string         // what answers, as reports name it
	Internal     []netip.Prefix // nil: analyze.DefaultInternal
	// Redact redacts every report, whatever the form asks.
	Redact  bool
	Version string
	Now     func() time.Time // the time of analysis; nil: time.Now
}

//go:embed templates/page.html
var templateFS embed.FS

// pages has the stylesheet as literal template text, like the reports, so
// that it is written byte for byte and matches the policy's hash.
var pages = template.Must(template.Must(template.New("css").Parse(report.Stylesheet)).ParseFS(templateFS, "templates/page.html"))

// NewServer returns the paste page's server for addr, with timeouts that
// bound slow clients and an analysis. On a loopback address it answers
// only requests that name a loopback host, so that a web site cannot reach
// it through DNS rebinding.
func NewServer(addr string, cfg Config) *http.Server {
	h := Handler(cfg)
	if IsLoopback(addr) {
		h = loopbackHost(h)
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      analysisTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// Errors of the server itself (never a request's content).
		ErrorLog: log.New(log.Writer(), "hopcheck serve: ", 0),
	}
}

// IsLoopback reports whether a listen address binds only loopback
// interfaces; an empty host binds every interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// Handler serves the paste page (GET /) and the reports (POST /report),
// with the security headers on every response.
func Handler(cfg Config) http.Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &server{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.paste)
	mux.HandleFunc("POST /report", s.report)
	mux.HandleFunc("/", s.other)
	return secure(mux)
}

type server struct{ cfg Config }

// secure sets the headers of every response, and refuses posts that
// another site's page makes (a form elsewhere that targets this page).
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost && crossSite(r) {
			errorPage(w, http.StatusForbidden, "Refused", "This page only accepts what is pasted into it, not a form posted by another site.")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// crossSite reports whether a request comes from another site's page:
// browsers say so in Sec-Fetch-Site; Origin is the fallback, and is "null"
// on this page's own posts, which send no referrer.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return false
	case "":
	default:
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return false
	}
	_, host, _ := strings.Cut(origin, "://")
	return host != r.Host
}

// loopbackHost answers only requests for a loopback host name or address.
func loopbackHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !IsLoopback(r.Host) {
			errorPage(w, http.StatusMisdirectedRequest, "Wrong host", "This page answers on a loopback address only (127.0.0.1, [::1] or localhost).")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *server) paste(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, "paste", struct {
		Resolver, Version, Limit string
		Redact                   bool
	}{s.cfg.ResolverName, s.cfg.Version, "10 MiB", s.cfg.Redact})
}

func (s *server) other(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		w.Header().Set("Allow", "GET, HEAD")
	case "/report":
		w.Header().Set("Allow", "POST")
	default:
		errorPage(w, http.StatusNotFound, "Not found", "There is no such page here.")
		return
	}
	errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "Use the form of the paste page.")
}

// report analyses what was posted and answers with the HTML report.
func (s *server) report(w http.ResponseWriter, r *http.Request) {
	body := r.Body
	r.Body = http.MaxBytesReader(w, body, MaxRequestBytes)
	in, err := readInput(r)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		io.CopyN(io.Discard, body, drainBytes)
		errorPage(w, http.StatusRequestEntityTooLarge, "Too large", "The paste or file is larger than 10 MiB, the most this page reads. Paste only the message's headers, or the bounce without its attachments.")
		return
	case err != nil:
		errorPage(w, http.StatusBadRequest, "Unreadable form", "The form could not be read: "+err.Error()+".")
		return
	case len(bytes.TrimSpace(in.data)) == 0:
		errorPage(w, http.StatusBadRequest, "Nothing to analyse", "Paste a message's headers or a bounce, or choose a file.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), analysisTimeout)
	defer cancel()
	res, err := analyze.Read(ctx, bytes.NewReader(in.data), parse.DefaultLimits, analyze.Options{Resolver: s.cfg.Resolver, Internal: s.cfg.Internal})
	switch {
	case errors.Is(err, parse.ErrTooLarge):
		errorPage(w, http.StatusRequestEntityTooLarge, "Too large", "The message is larger than hopcheck reads ("+err.Error()+").")
		return
	case err != nil:
		errorPage(w, http.StatusUnprocessableEntity, "Not a message", "hopcheck could not read this as headers, a message or a bounce: "+err.Error()+".")
		return
	}
	m := report.NewMessage(report.Source{Name: in.name, Resolver: s.cfg.ResolverName, Version: s.cfg.Version, Time: s.cfg.Now()}, res)
	if in.redact || s.cfg.Redact {
		m = report.Redact(m)
	}
	var saved, doc, page bytes.Buffer
	if err := report.HTML(&saved, m, report.HTMLOptions{}); err != nil {
		errorPage(w, http.StatusInternalServerError, "Report failed", err.Error())
		return
	}
	if err := report.JSON(&doc, m); err != nil {
		errorPage(w, http.StatusInternalServerError, "Report failed", err.Error())
		return
	}
	opts := report.HTMLOptions{Back: "/", Downloads: []report.Download{
		{Label: "Download this report (HTML)", Filename: "hopcheck-report.html", Type: "text/html", Data: saved.Bytes()},
		{Label: "Download the JSON", Filename: "hopcheck-report.json", Type: "application/json", Data: doc.Bytes()},
	}}
	if err := report.HTML(&page, m, opts); err != nil {
		errorPage(w, http.StatusInternalServerError, "Report failed", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(page.Bytes())
}

// input is what a form posted.
type input struct {
	data   []byte
	name   string // the file's name, or "pasted"
	redact bool
}

// readInput reads the form, multipart (the page's, with a file) or URL
// encoded, in memory: nothing goes to a temporary file. A file, when one
// was chosen, wins over the text area.
func readInput(r *http.Request) (input, error) {
	in := input{name: "pasted"}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return in, err
		}
		var text []byte
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return in, err
			}
			data, err := io.ReadAll(p)
			if err != nil {
				return in, err
			}
			switch p.FormName() {
			case "headers":
				text = data
			case "eml":
				if len(data) > 0 {
					in.data, in.name = data, path.Base(strings.ReplaceAll(p.FileName(), `\`, "/"))
					if in.name == "." || in.name == "/" {
						in.name = "uploaded"
					}
				}
			case "redact":
				in.redact = string(data) == "on"
			}
		}
		if in.data == nil {
			in.data = text
		}
		return in, nil
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return in, err
		}
		in.data, in.redact = []byte(r.PostForm.Get("headers")), r.PostForm.Get("redact") == "on"
		return in, nil
	}
	return in, errors.New("send the paste page's form (multipart/form-data)")
}

func errorPage(w http.ResponseWriter, code int, title, msg string) {
	render(w, code, "error", struct{ Title, Message string }{title, msg})
}

func render(w http.ResponseWriter, code int, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "hopcheck: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}
