// Package logstream delivers the lines of mail logs exactly once: whole files
// (plain or gzip) and standard input for a scan, or a file followed live
// across rotations, standard input as a stream, or the systemd journal — with
// a position that can be saved and resumed.
package logstream
