module hopcheck

go 1.26.8

require (
	github.com/emersion/go-message v0.18.2
	github.com/miekg/dns v1.1.73
)

require gopkg.in/tomb.v1 v1.0.0-20141024135613-dd632973f1e7 // indirect

require (
	github.com/fsnotify/fsnotify v1.6.0
	github.com/nxadm/tail v1.4.11
	golang.org/x/net v0.62.0
	golang.org/x/sys v0.49.0 // indirect
)
