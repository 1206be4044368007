module hopcheck

go 1.26.8

require (
	github.com/emersion/go-message v0.18.2
	github.com/miekg/dns v1.1.73
)

require (
	golang.org/x/net v0.62.0
	golang.org/x/sys v0.49.0 // indirect
)
