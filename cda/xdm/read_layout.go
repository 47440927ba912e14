package xdm

import (
	"archive/zip"
	"fmt"
	"path"
	"sort"
	"strings"
)

// The layout of an archive, as [Read] sees it. Names are normalised
// (back-slashes become slashes: Windows zip tools write them) and compared
// without case (IHE asks for upper-case 8.3 names; real archives use any
// case). A submission set is the folder of a METADATA.XML whose name
// starts with SUBSET, wherever it sits: under IHE_XDM/ (the standard), at
// the root, or one or more folders deeper (an export folder zipped whole).

// archive indexes the files of a ZIP archive by key: the normalised,
// upper-case name. Directory entries are left out.
type archive struct {
	files    map[string]*zip.File
	children map[string][]string // folder key → keys of the files directly in it
}

// normalize returns the cleaned, slash-separated name of an entry, or a
// *PathError when it could escape an extraction folder.
func normalize(name string) (string, error) {
	n := strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(n, "/") || (len(n) >= 2 && n[1] == ':') || strings.ContainsRune(n, 0) {
		return "", &PathError{Name: name}
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", &PathError{Name: name}
		}
	}
	return path.Clean(n), nil
}

// indexArchive checks every entry against the hostile limits and indexes
// the files.
func indexArchive(zr *zip.Reader, o *ReadOptions) (*archive, error) {
	a := &archive{files: map[string]*zip.File{}, children: map[string][]string{}}
	var total int64
	for _, f := range zr.File {
		n, err := normalize(f.Name)
		if err != nil {
			return nil, err
		}
		usize := int64(f.UncompressedSize64)
		if usize < 0 || total+usize > o.MaxTotalSize {
			return nil, &LimitError{Limit: "total size", Name: f.Name, Value: total + usize, Max: o.MaxTotalSize}
		}
		total += usize
		if usize > 1<<20 && (f.CompressedSize64 == 0 || usize/int64(f.CompressedSize64) > o.MaxRatio) {
			ratio := usize
			if f.CompressedSize64 > 0 {
				ratio = usize / int64(f.CompressedSize64)
			}
			return nil, &LimitError{Limit: "ratio", Name: f.Name, Value: ratio, Max: o.MaxRatio}
		}
		if f.Flags&0x1 != 0 {
			return nil, fmt.Errorf("%w: %s", ErrEncrypted, quote(f.Name))
		}
		if strings.HasSuffix(f.Name, "/") || strings.HasSuffix(f.Name, `\`) {
			continue // a directory
		}
		key := strings.ToUpper(n)
		if _, dup := a.files[key]; dup {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateEntry, quote(f.Name))
		}
		a.files[key] = f
		dir := path.Dir(key)
		a.children[dir] = append(a.children[dir], key)
	}
	return a, nil
}

// metadataFiles returns the keys of the METADATA.XML files of submission
// set folders, sorted.
func (a *archive) metadataFiles() []string {
	var metas []string
	for key := range a.files {
		if isMetadata(key) && strings.HasPrefix(path.Base(path.Dir(key)), "SUBSET") {
			metas = append(metas, key)
		}
	}
	sort.Strings(metas)
	return metas
}

func isMetadata(key string) bool { return path.Base(key) == MetadataName }

// packageRoot returns the folder of the package holding a submission set
// folder: the parent of its IHE_XDM folder, or its parent when there is
// no IHE_XDM level.
func packageRoot(dir string) string {
	parent := path.Dir(dir)
	if path.Base(parent) == "IHE_XDM" {
		return path.Dir(parent)
	}
	return parent
}

// resolve finds the file of every document, in three passes: the
// documents with a URI; the files two entries name (none gets them); the
// documents without URI, among the files no other entry names.
func (a *archive) resolve(docs []*Document) {
	byKey := map[string][]*Document{}
	for _, d := range docs {
		if d.URI == "" {
			continue
		}
		if key, ok := a.byURI(d); ok {
			byKey[key] = append(byKey[key], d)
		}
	}
	claimed := map[string]bool{}
	for key, ds := range byKey {
		claimed[key] = true
		a.attach(key, ds, "")
	}

	nameless := map[string][]*Document{} // by submission set folder
	var dirs []string
	for _, d := range docs {
		if d.URI == "" {
			if nameless[d.dir] == nil {
				dirs = append(dirs, d.dir)
			}
			nameless[d.dir] = append(nameless[d.dir], d)
		}
	}
	for _, dir := range dirs {
		var free []string
		for _, key := range a.children[dir] {
			if !claimed[key] && !isMetadata(key) && !strings.HasPrefix(path.Base(key), ".") {
				free = append(free, key)
			}
		}
		ds := nameless[dir]
		if len(ds) == 1 && len(free) == 1 {
			a.attach(free[0], ds, "found as the only file of its folder that no other entry names")
			continue
		}
		byKey := map[string][]*Document{}
		how := map[string]string{}
		var keys []string
		for _, d := range ds {
			key, found, why := namedAfter(d, free)
			if key == "" {
				d.problem(ErrMissingFile, "", "", why)
				continue
			}
			if byKey[key] == nil {
				keys = append(keys, key)
				how[key] = found
			}
			byKey[key] = append(byKey[key], d)
		}
		for _, key := range keys {
			a.attach(key, byKey[key], how[key])
		}
	}
}

// attach gives the file to the document that names it, with a note on how
// it was found when it had no URI; when several name it, none gets it.
func (a *archive) attach(key string, ds []*Document, how string) {
	f := a.files[key]
	if len(ds) > 1 {
		for i, d := range ds {
			other := ds[0]
			if i == 0 {
				other = ds[1]
			}
			d.Problems = append(d.Problems, &DocumentError{Entry: d.EntryID, URI: d.URI, Path: f.Name, Err: ErrSharedFile,
				Detail: fmt.Sprintf("also named by entry %s and %d other(s)", quote(other.EntryID), len(ds)-2)})
		}
		return
	}
	d := ds[0]
	d.file, d.Path = f, f.Name
	if how != "" {
		d.problem(ErrNoURI, "", "", how)
	}
}

// byURI returns the key of the file a document's URI names: relative to
// its submission set folder (the standard), else to the package root or
// the archive root (some producers write the whole path). A URI that
// names no file, leaves its folder or names a METADATA.XML is a problem of
// the document.
func (a *archive) byURI(d *Document) (string, bool) {
	n := strings.ReplaceAll(d.URI, `\`, "/")
	if _, err := normalize(n); err != nil {
		d.problem(ErrUnsafePath, "", "", "the URI leaves its folder")
		return "", false
	}
	u := strings.ToUpper(path.Clean(n))
	for _, key := range []string{path.Join(d.dir, u), path.Join(packageRoot(d.dir), u), u} {
		if _, ok := a.files[key]; !ok {
			continue
		}
		if isMetadata(key) {
			d.problem(ErrMissingFile, "", "", "the URI names a METADATA.XML")
			return "", false
		}
		return key, true
	}
	d.problem(ErrMissingFile, "", "", "no such file in the archive")
	return "", false
}

// namedAfter returns the one file among free named after the document's
// uniqueId, else its id (the whole name, or the name without its
// extension), and how it was found; else "" and why not.
func namedAfter(d *Document, free []string) (key, how, why string) {
	for _, id := range []struct{ value, what string }{{d.UniqueID, "uniqueId"}, {d.EntryID, "id"}} {
		if id.value == "" {
			continue
		}
		want := strings.ToUpper(id.value)
		var found []string
		for _, k := range free {
			base := path.Base(k)
			if base == want || strings.TrimSuffix(base, path.Ext(base)) == want {
				found = append(found, k)
			}
		}
		switch len(found) {
		case 1:
			return found[0], "found by its " + id.what + ", the name of the file", ""
		case 0:
		default:
			return "", "", fmt.Sprintf("no URI, and %d files are named after its %s", len(found), id.what)
		}
	}
	if len(free) == 0 {
		return "", "", "no URI, and no other file in its folder"
	}
	return "", "", fmt.Sprintf("no URI, and none of the %d other files of its folder is named after its uniqueId or id", len(free))
}
