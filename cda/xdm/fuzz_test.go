package xdm

import (
	"bytes"
	"testing"

	"github.com/mssante-go/sdk/cda"
)

// FuzzRead feeds Read arbitrary archives: it must never panic.
func FuzzRead(f *testing.F) {
	f.Add(build(f, nil, testCDA(f, testPatient(), cda.TypeCRConsultation, nil)))
	f.Add(zipOf(f, true, `x\ihe_xdm\subset01\metadata.xml`, minimalMeta, `x\ihe_xdm\subset01\doc0001.xml`, "<a/>"))
	f.Add(zipOf(f, false, "IHE_XDM/SUBSET01/METADATA.XML", "<a><b>"))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Read(bytes.NewReader(data), int64(len(data)), &ReadOptions{MaxTotalSize: 1 << 22, MaxEntries: 50})
		if err != nil {
			return
		}
		p.PatientINS()
		p.Verify()
		for _, d := range p.Documents {
			if rc, err := p.Open(d); err == nil {
				rc.Close()
			}
		}
	})
}

// FuzzMetadata feeds METADATA.XML decoding arbitrary XML.
func FuzzMetadata(f *testing.F) {
	f.Add([]byte(minimalMeta))
	f.Add([]byte("<a>" + string(bytes.Repeat([]byte("<b>"), 70))))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeMetadata(bytes.NewReader(data), &metaLimits{depth: 64, docs: 1000, elements: 1 << 20})
		if err != nil {
			return
		}
		req.convert()
	})
}
