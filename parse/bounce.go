package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-message"

	"hopcheck/internal/textutil"
	"hopcheck/parse/reply"
)

// Bounce is a non-delivery or delay report found in a message.
type Bounce struct {
	// Family names the shape that was recognised: "dsn" (RFC 3464), or the
	// vendor whose human-readable text was recognised, with or without a
	// delivery-status part: "exim" (GMX's and web.de's variant too),
	// "qmail", "sendmail", "exchange" (classic, Exchange Online since 2017,
	// Exchange 5.5 to 2003), "gmail" (2010 on), "yahoo", "opensmtpd",
	// "postmaster" (a receiving Postfix's notice to its own postmaster);
	// "text" is any other bounce text (a Postfix notice, a server's reply
	// pasted alone or above the original).
	Family string
	// ReportingMTA is the MTA that reports: the DSN's Reporting-MTA without
	// its "dns;" type, else the host the human text or the From address names.
	ReportingMTA string
	// ReceivedFromMTA is where the reporting MTA got the message from, as the
	// report gives it.
	ReceivedFromMTA string
	// ArrivalDate is when the reporting MTA received the message; zero when
	// the report does not say.
	ArrivalDate time.Time
	// Recipients holds at least one recipient.
	Recipients []BounceRecipient
	// Original is the returned original's header section (and its body as
	// far as present); nil when the bounce returned none.
	Original *Message
	// OriginalType is "message/rfc822", "message/global",
	// "text/rfc822-headers", "inline" (found below a separator line in the
	// text), or "" when Original is nil.
	OriginalType string
	// ClientIP is, for a receiving server's notice to its own postmaster
	// (Postfix's "errors from NAME[IP]"), the address of the client it
	// refused: the relay to judge. Invalid otherwise.
	ClientIP netip.Addr
}

// BounceRecipient is the report on one recipient. Replies are kept as
// quoted, not classified: that is the reply classifier's job.
type BounceRecipient struct {
	FinalRecipient    string // address only, no "rfc822;" type or angle brackets
	OriginalRecipient string
	// Action is failed, delayed, delivered, relayed or expanded, lower case.
	Action string
	// Status is the DSN's status code ("5.7.25"), or the reply's own when
	// it is more specific (a DSN's "5.0.0", a rewritten code); empty for
	// text-only bounces, whose code is in Diagnostic, unless only the
	// text of the reply carries it ("(#5.1.1)").
	Status string
	// RemoteMTA is the remote's name without "dns;", or as the human text
	// gives it ("mx.example.test [192.0.2.1]").
	RemoteMTA string
	// Diagnostic is the remote's reply as quoted, without the "smtp;" type;
	// continuation lines are joined by "\n" as they came.
	Diagnostic     string
	LastAttempt    time.Time
	WillRetryUntil time.Time
}

// Bounds on a bounce's structure, beyond the byte bounds of Limits.
const (
	maxMIMEDepth       = 5    // multipart nesting
	maxMIMEParts       = 100  // parts visited in all
	maxBounceRecipient = 1000 // recipients in one report
)

// ReadBounce recognises a bounce in m and returns it; (nil, nil) when m is not
// one. An error only for a bounce that is recognisably one but cannot be read
// within lim: the returned original's header section is over
// lim.MaxHeaderBytes, the report names over 1000 recipients, or a multipart
// report nests deeper or holds more parts than a report needs.
func ReadBounce(m *Message, lim Limits) (*Bounce, error) {
	if m == nil {
		return nil, nil
	}
	p, err := collectParts(m, lim)
	if err != nil {
		return nil, err
	}
	var b *Bounce
	if p.status != nil {
		if b, err = readDeliveryStatus(p.status); err != nil {
			return nil, err
		}
	}
	text := p.text
	if text == "" && p.html != "" {
		text = htmlText(p.html)
	}
	var plainOrig []byte
	if b == nil {
		// Delivery-status fields written in the text itself, no MIME part
		// of their own: "Final-Recipient:" and "Status:" blocks.
		if b, plainOrig, err = readPlainDSN(text); err != nil {
			return nil, err
		}
	}
	tr, err := readBounceText(text, m.Header.Get("From"), m.Header.Get("Subject"))
	if err != nil {
		return nil, err
	}
	b = mergeText(b, tr)
	if b == nil {
		return nil, nil
	}
	orig, origType := p.orig, p.origType
	if orig == nil && tr != nil && tr.original != nil {
		orig, origType = tr.original, "inline"
	}
	if orig == nil && plainOrig != nil {
		orig, origType = plainOrig, "inline"
	}
	if orig != nil {
		om, err := readOriginal(orig, lim)
		if err != nil {
			return nil, fmt.Errorf("bounce: returned original: %w", err)
		}
		if om != nil {
			b.Original, b.OriginalType = om, origType
		}
	}
	if tr != nil && tr.fromOriginal {
		fromOriginal(b)
	}
	if tr != nil && tr.clientIP.IsValid() {
		b.ClientIP = tr.clientIP
	}
	preferReplyStatus(b)
	return b, nil
}

// preferReplyStatus makes a recipient's Status the remote server's own
// enhanced code when its reply has one of the same class that is more
// specific than what the DSN says: the DSN's "X.0.0", or a code that the
// reporting MTA rewrote (Sendmail reports 5.1.1 for a 5.7.1 block-list
// reply). A reply of another class leaves the DSN's status alone. A status written in the reply's text (qmail's "(#5.1.1)", one in
// mid-text) counts when the reply has no other, and fills an empty Status.
func preferReplyStatus(b *Bounce) {
	for i := range b.Recipients {
		r := &b.Recipients[i]
		if r.Diagnostic == "" {
			continue
		}
		rep := reply.Parse(r.Diagnostic)
		st := rep.Status
		if st == "" {
			st = findStatus(rep.Text)
		}
		switch {
		case st == "" || st == r.Status || isX00(st):
		case r.Status == "":
			if rep.Status == "" {
				r.Status = st // classify would not find it
			}
		case st[0] == r.Status[0]:
			r.Status = st
		}
	}
}

// isX00 reports a status code with no subject or detail: "5.0.0", "4.0.0".
func isX00(st string) bool { return len(st) == 5 && st[1:] == ".0.0" }

// fromOriginal completes a server's reply pasted without its notice from
// the original pasted below it: the reply names neither the relay that got
// it nor the recipient. The relay is the host that stamped the
// original's newest Received field; the recipient the original's only To
// address.
func fromOriginal(b *Bounce) {
	if b.Original == nil {
		return
	}
	if b.ReportingMTA == "" {
		if rs := b.Original.Received(); len(rs) > 0 {
			b.ReportingMTA = Received(rs[0]).By
		}
	}
	if len(b.Recipients) == 1 && b.Recipients[0].FinalRecipient == "" {
		if to, err := b.Original.Header.AddressList("To"); err == nil && len(to) == 1 {
			b.Recipients[0].FinalRecipient = to[0].Address
		}
	}
}

// readPlainDSN reads delivery-status fields that stand in a bounce's text
// (above the returned original, if any), and returns the original below
// its separator. nil when the text names no Final-Recipient.
func readPlainDSN(text string) (*Bounce, []byte, error) {
	if textutil.IndexFold(text, "final-recipient:") < 0 {
		return nil, nil, nil
	}
	lines := strings.Split(text, "\n")
	sep := findSeparator(lines)
	found := false
	for _, l := range lines[:sep] {
		if hasPrefixFold(strings.TrimSpace(l), "final-recipient:") {
			found = true
			break
		}
	}
	if !found {
		return nil, nil, nil
	}
	b, err := readDeliveryStatus([]byte(strings.Join(lines[:sep], "\n")))
	if err != nil || b == nil {
		return nil, nil, err
	}
	var orig []byte
	if sep < len(lines) {
		orig = []byte(strings.Join(lines[sep+1:], "\n"))
	}
	return b, orig, nil
}

// reportParts is what a walk over a bounce's MIME structure keeps: the
// first part of each kind that matters.
type reportParts struct {
	report   bool   // the top level is multipart/report
	status   []byte // message/(global-)delivery-status body
	orig     []byte
	origType string
	text     string // first text/plain
	html     string // first text/html
	overflow bool   // nesting or part count beyond bounds; the rest was skipped
}

func collectParts(m *Message, lim Limits) (*reportParts, error) {
	p := &reportParts{}
	if m.Header.Len() == 0 {
		p.text = string(m.Body)
		return p, nil
	}
	e, err := message.New(m.Header.Header, bytes.NewReader(m.Body))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, err
	}
	mt, _, _ := e.Header.ContentType()
	p.report = mt == "multipart/report"
	parts := 0
	if err := p.walk(e, 0, &parts, lim); err != nil {
		return nil, err
	}
	if e.MultipartReader() != nil && p.status == nil && p.orig == nil && p.text == "" && p.html == "" {
		// A multipart whose boundary is missing, mismatched or indented
		// yields no part: read its body as the text it is.
		p.text = string(m.Body)
	}
	if p.overflow && p.report {
		return nil, fmt.Errorf("bounce: report nests deeper than %d or has over %d parts: %w", maxMIMEDepth, maxMIMEParts, ErrTooLarge)
	}
	return p, nil
}

// walk visits e and, for a multipart, its parts depth first. Malformed
// structure ends the walk quietly: a truncated bounce still reports what came
// before the damage.
func (p *reportParts) walk(e *message.Entity, depth int, parts *int, lim Limits) error {
	*parts++
	if *parts > maxMIMEParts || depth > maxMIMEDepth {
		p.overflow = true
		return nil
	}
	mt, _, _ := e.Header.ContentType()
	if mr := e.MultipartReader(); mr != nil {
		for !p.overflow {
			part, err := mr.NextPart()
			if err != nil && (part == nil || (!message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err))) {
				return nil
			}
			if err := p.walk(part, depth+1, parts, lim); err != nil {
				return err
			}
		}
		return nil
	}
	if mt == "" {
		mt = "text/plain"
	}
	var dst *[]byte
	var dstText *string
	switch mt {
	case "message/delivery-status", "message/global-delivery-status":
		if p.status == nil {
			dst = &p.status
		}
	case "message/rfc822", "message/global", "text/rfc822-headers":
		if p.orig == nil {
			dst, p.origType = &p.orig, mt
		}
	case "text/plain":
		if p.text == "" && !isAttachment(e) {
			dstText = &p.text
		}
	case "text/html":
		if p.html == "" && !isAttachment(e) {
			dstText = &p.html
		}
	}
	if dst == nil && dstText == nil {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(e.Body, lim.MaxBodyBytes+1))
	if int64(len(data)) > lim.MaxBodyBytes {
		return fmt.Errorf("bounce: decoded %s part over %d bytes: %w", mt, lim.MaxBodyBytes, ErrTooLarge)
	}
	if err != nil && len(data) == 0 {
		return nil
	}
	if dst != nil {
		if data == nil {
			data = []byte{}
		}
		*dst = data
	} else {
		*dstText = string(data)
	}
	return nil
}

func isAttachment(e *message.Entity) bool {
	disp, _, _ := e.Header.ContentDisposition()
	return disp == "attachment"
}

// readOriginal reads a returned original's header section through
// ReadMessage. Originals are often cut or mangled by the bounce that
// carries them, so on a malformed line it keeps the fields before it.
func readOriginal(data []byte, lim Limits) (*Message, error) {
	m, err := ReadMessage(bytes.NewReader(data), lim)
	var ie *InputError
	if errors.As(err, &ie) && !errors.Is(err, ErrTooLarge) && ie.Line > 1 {
		m, err = ReadMessage(bytes.NewReader(firstLines(data, ie.Line-1)), lim)
	}
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return nil, err
		}
		return nil, nil
	}
	if m.Header.Len() == 0 {
		return nil, nil
	}
	return m, nil
}

// firstLines returns the first n lines of data.
func firstLines(data []byte, n int) []byte {
	off := 0
	for ; n > 0; n-- {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return data
		}
		off += i + 1
	}
	return data[:off]
}

// mergeText completes a DSN with what its human-readable text says, or makes
// a bounce from the text alone.
func mergeText(b *Bounce, tr *textReport) *Bounce {
	if tr == nil {
		return b
	}
	if b == nil {
		if len(tr.recipients) == 0 {
			return nil
		}
		return &Bounce{
			Family:          tr.family,
			ReportingMTA:    tr.reportingMTA,
			ReceivedFromMTA: tr.receivedFromMTA,
			ArrivalDate:     tr.arrival,
			Recipients:      tr.recipients,
		}
	}
	if tr.family != "text" {
		b.Family = tr.family
	}
	if b.ReportingMTA == "" {
		b.ReportingMTA = tr.reportingMTA
	}
	if b.ReceivedFromMTA == "" {
		b.ReceivedFromMTA = tr.receivedFromMTA
	}
	if b.ArrivalDate.IsZero() {
		b.ArrivalDate = tr.arrival
	}
	for i := range b.Recipients {
		r := &b.Recipients[i]
		t := matchRecipient(tr.recipients, r.FinalRecipient, len(b.Recipients) == 1)
		if t == nil {
			continue
		}
		if r.Diagnostic == "" {
			r.Diagnostic = t.Diagnostic
		}
		if r.RemoteMTA == "" {
			r.RemoteMTA = t.RemoteMTA
		}
	}
	return b
}

// matchRecipient finds addr among the text's recipients; a lone recipient on
// both sides matches whatever its spelling.
func matchRecipient(rs []BounceRecipient, addr string, lone bool) *BounceRecipient {
	for i := range rs {
		if strings.EqualFold(rs[i].FinalRecipient, addr) {
			return &rs[i]
		}
	}
	if lone && len(rs) == 1 {
		return &rs[0]
	}
	return nil
}
