package twin

import (
	"go/parser"
	"go/token"
	"sort"
	"strconv"
	"strings"
)

// RewriteImports is the Go source text with every import of module from
// (the path from, or a path under it) moved to the same place under to.
// Only the import paths change, byte for byte, so the file keeps its
// formatting and comments.
func RewriteImports(text []byte, from, to string) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "", text, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return nil, err
	}
	type edit struct {
		start, end int
		path       string
	}
	var edits []edit
	for _, spec := range file.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return nil, err
		}
		rest, ok := strings.CutPrefix(path, from)
		if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
			continue
		}
		edits = append(edits, edit{fset.Position(spec.Path.Pos()).Offset, fset.Position(spec.Path.End()).Offset, to + rest})
	}
	// Apply from the end, so the offsets of the edits still to come hold.
	sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := append([]byte(nil), text...)
	for _, e := range edits {
		out = append(out[:e.start], append([]byte(strconv.Quote(e.path)), out[e.end:]...)...)
	}
	return out, nil
}
