package reply

// matcher finds every phrase of a fixed set in one pass over a text, ASCII
// case-insensitively (Aho-Corasick). Classifying a reply then costs one scan
// of the text however many knowledge-base phrases there are, instead of one
// strings.Contains per phrase.
type matcher struct {
	root    [256]int32 // transitions from the root, dense: the busiest state
	edgeLo  []int32    // per state: its edges are edgeByte/edgeTo[edgeLo[s]:edgeLo[s+1]]
	edgeB   []byte
	edgeTo  []int32
	fail    []int32
	report  []int32 // nearest state on the fail chain (itself included) that ends a phrase; 0 if none
	outLo   []int32 // per state: phrases ending here are outIDs[outLo[s]:outLo[s+1]]
	outIDs  []int32
	nPhrase int
}

// foldASCII lower-cases ASCII letters only: the phrases are ASCII and the
// reply text may be any bytes.
func foldASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// newMatcher builds the automaton for phrases, which must be non-empty and
// lower case.
func newMatcher(phrases []string) *matcher {
	type node struct {
		next map[byte]int32
		out  []int32
	}
	nodes := []node{{next: map[byte]int32{}}}
	for id, p := range phrases {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := foldASCII(p[i])
			nx, ok := nodes[s].next[c]
			if !ok {
				nx = int32(len(nodes))
				nodes = append(nodes, node{next: map[byte]int32{}})
				nodes[s].next[c] = nx
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}

	m := &matcher{nPhrase: len(phrases)}
	n := len(nodes)
	m.fail = make([]int32, n)
	m.report = make([]int32, n)
	m.edgeLo = make([]int32, n+1)
	m.outLo = make([]int32, n+1)
	for s := range nodes {
		m.edgeLo[s] = int32(len(m.edgeB))
		for c := 0; c < 256; c++ {
			if nx, ok := nodes[s].next[byte(c)]; ok {
				m.edgeB = append(m.edgeB, byte(c))
				m.edgeTo = append(m.edgeTo, nx)
			}
		}
		m.outLo[s] = int32(len(m.outIDs))
		m.outIDs = append(m.outIDs, nodes[s].out...)
	}
	m.edgeLo[n] = int32(len(m.edgeB))
	m.outLo[n] = int32(len(m.outIDs))
	for c, nx := range nodes[0].next {
		m.root[c] = nx
	}

	// Breadth-first, so that a state's fail target is settled before its
	// children need it.
	queue := make([]int32, 0, n)
	for _, nx := range nodes[0].next {
		queue = append(queue, nx)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if len(nodes[s].out) > 0 {
			m.report[s] = s
		} else {
			m.report[s] = m.report[m.fail[s]]
		}
		for c, child := range nodes[s].next {
			m.fail[child] = m.step(m.fail[s], c)
			queue = append(queue, child)
		}
	}
	return m
}

// step is the goto function completed with fail links.
func (m *matcher) step(s int32, c byte) int32 {
	for {
		if s == 0 {
			return m.root[c]
		}
		for i := m.edgeLo[s]; i < m.edgeLo[s+1]; i++ {
			if m.edgeB[i] == c {
				return m.edgeTo[i]
			}
		}
		s = m.fail[s]
	}
}

// scan records in hits, for every phrase found in text, the offset just past
// its first occurrence (0 means not found: no phrase is empty). hits must
// have room for every phrase id.
func (m *matcher) scan(text string, hits []int32) {
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = m.step(s, foldASCII(text[i]))
		for o := m.report[s]; o != 0; o = m.report[m.fail[o]] {
			for _, id := range m.outIDs[m.outLo[o]:m.outLo[o+1]] {
				if hits[id] == 0 {
					hits[id] = int32(i + 1)
				}
			}
		}
	}
}
