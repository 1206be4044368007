module hopcheck

go 1.26.8

require (
	github.com/emersion/go-message v0.18.2 // indirect
	github.com/miekg/dns v1.1.73 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
