package report

import (
	"reflect"
	"regexp"
	"strings"
)

// View is a report view that Redact can copy.
type View interface{ *Message | *Logs | *Check }

// Redact returns a deep copy of a view in which the local part of every
// email address and Message-ID is replaced, in every string of the view
// and of the facts under it (so that every renderer, JSON included, shows
// the same): reports can then be shared outside the team. Domains, host
// names and addresses stay: they are what the report is about.
func Redact[V View](v V) V {
	out := redactValue(reflect.ValueOf(v)).Interface().(V)
	if m, ok := any(out).(*Message); ok {
		m.Source.MessageID = redactMessageID(m.Source.MessageID)
		if m.Result != nil {
			m.Result.Source.MessageID = redactMessageID(m.Result.Source.MessageID)
		}
	}
	return out
}

// redacted replaces a local part.
const redacted = "redacted"

// address matches an email address or a Message-ID: a local part (a dot
// atom, or a quoted string) before an @ and a domain or address literal.
// "=" is not taken into the local part, so that a log's "to=bob@…" keeps
// its key.
var address = regexp.MustCompile(`(?:"[^"\r\n]*"|[\p{L}\p{N}!#$%&'*+/?^_` + "`" + `{|}~.-]+)@(?:[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*|\[[^\]\s]*\])`)

// redactText replaces the local parts of the addresses in s.
func redactText(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return address.ReplaceAllStringFunc(s, func(a string) string {
		return redacted + a[strings.LastIndexByte(a, '@'):]
	})
}

// redactMessageID replaces the left part of a Message-ID, or all of one
// without an @.
func redactMessageID(s string) string {
	if s == "" || strings.Contains(redactText(s), redacted+"@") {
		return redactText(s)
	}
	return "<" + redacted + ">"
}

// redactValue copies v deeply, every string passed through redactText.
// Unexported fields are copied as they are: the views' own text is in
// exported fields.
func redactValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		out := reflect.New(v.Type()).Elem()
		out.SetString(redactText(v.String()))
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(redactValue(v.Elem()))
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		for i := range v.NumField() {
			if f := out.Field(i); f.CanSet() {
				f.Set(redactValue(v.Field(i)))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(redactValue(v.Index(i)))
		}
		return out
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			out.Index(i).Set(redactValue(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), redactValue(it.Value()))
		}
		return out
	}
	return v
}
