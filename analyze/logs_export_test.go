package analyze

// SetScanChunk shrinks the scan's block size so that small inputs cross
// chunk boundaries; it returns the function that restores it.
func SetScanChunk(n int) func() {
	old := scanChunk
	scanChunk = n
	return func() { scanChunk = old }
}
