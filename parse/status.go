package parse

import "hopcheck/parse/reply"

// findStatus returns the first enhanced status code that stands as a word
// in s ("5.7.25", qmail's "#5.1.0" and "(#5.1.1)"); see reply.FindStatus.
func findStatus(s string) string { return reply.FindStatus(s) }

// statusAt returns the enhanced status code that starts at s[i], or "".
func statusAt(s string, i int) string { return reply.StatusAt(s, i) }
