package analyze

import (
	"context"

	"hopcheck/parse"
)

// Message analyses a message as parse.ReadMessage read it: the path its
// Received fields describe.
func Message(ctx context.Context, m *parse.Message, opts Options) *Result {
	return Analyze(ctx, parse.Hops(m.Received()), opts)
}
