package xdm

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"errors"
	"testing"
)

// TestReadErrorChains: the errors that refuse a package keep the error
// that caused them reachable, as well as the package's sentinel.
func TestReadErrorChains(t *testing.T) {
	// METADATA.XML whose deflated data inflates past the size its header
	// declares: archive/zip fails the read with zip.ErrFormat.
	var deflated bytes.Buffer
	fw, err := flate.NewWriter(&deflated, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	var overlong bytes.Buffer
	zw := zip.NewWriter(&overlong)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "IHE_XDM/SUBSET01/METADATA.XML", Method: zip.Deflate,
		CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(deflated.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}

	var broken bytes.Buffer
	zw = zip.NewWriter(&broken)
	if w, err = zw.Create("IHE_XDM/SUBSET01/METADATA.XML"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("<SubmitObjectsRequest><a></b></SubmitObjectsRequest>")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}

	var syntax *xml.SyntaxError
	for _, c := range []struct {
		name     string
		archive  []byte
		sentinel error
		cause    func(error) bool
	}{
		{"inflating past its size", overlong.Bytes(), ErrMetadata, func(err error) bool { return errors.Is(err, zip.ErrFormat) }},
		{"XML syntax error", broken.Bytes(), ErrMetadata, func(err error) bool { return errors.As(err, &syntax) }},
		{"not a ZIP", []byte("PK\x03\x04 garbage"), ErrNotZIP, func(err error) bool { return errors.Is(err, zip.ErrFormat) }},
	} {
		_, err := Read(bytes.NewReader(c.archive), int64(len(c.archive)), nil)
		if !errors.Is(err, c.sentinel) || !c.cause(err) {
			t.Errorf("%s: %v: the sentinel or its cause is not in the chain", c.name, err)
		}
	}
}
