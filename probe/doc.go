// Package probe speaks just enough SMTP to a mail server to read the names it
// shows: it connects, reads the 220 greeting, sends EHLO, reads the reply and
// sends QUIT — never MAIL FROM.
//
// hopcheck compares the host name in the greeting (the banner) and the one
// in the EHLO reply with the server's PTR and forward DNS; Probe only
// collects them and says in plain words why it could not.
package probe
