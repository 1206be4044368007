package watch

import (
	"strings"

	"golang.org/x/net/publicsuffix"

	"hopcheck/parse/mtalog"
	"hopcheck/parse/reply"
)

// class is what the alerts and metrics need of a refusal's reply.
type class struct {
	category reply.Category
	status   string // enhanced status, "" when none
	provider string // who refused: reply.Provider, else "" (see provider)
}

type classKey struct {
	code   int
	status string
	prefix string
}

// Bounds of the reply cache: replies repeat, their per-message ids sit past
// the first 200 bytes, and the cache is cleared rather than grown.
const (
	classKeyBytes = 200
	classCacheMax = 4096
)

// classes memoizes reply.Parse for the refusals of a live log.
type classes map[classKey]class

func (c classes) of(ev *mtalog.Event) class {
	k := classKey{code: ev.Code, status: ev.Status, prefix: ev.Reply[:min(len(ev.Reply), classKeyBytes)]}
	if cl, ok := c[k]; ok {
		return cl
	}
	r := reply.Parse(ev.Reply)
	cl := class{category: r.Category, status: r.Status, provider: r.Provider}
	if cl.status == "" {
		cl.status = ev.Status
	}
	if len(c) >= classCacheMax {
		clear(c)
	}
	k.prefix, k.status = strings.Clone(k.prefix), strings.Clone(k.status)
	c[k] = cl
	return cl
}

// refuser names who refused an outbound delivery as hopcheck logs does: the
// registrable domain of the remote server, else the recipient's domain,
// else the server's IP.
func refuser(ev *mtalog.Event) string {
	if ev.RemoteName != "" {
		if d, err := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(ev.RemoteName)); err == nil {
			return d
		}
	}
	if i := strings.LastIndexByte(ev.To, '@'); i >= 0 && i+1 < len(ev.To) {
		return strings.ToLower(ev.To[i+1:])
	}
	if ev.RemoteIP.IsValid() {
		return ev.RemoteIP.String()
	}
	return ""
}
