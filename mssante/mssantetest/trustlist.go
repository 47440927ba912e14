package mssantetest

import (
	"bufio"
	"encoding/xml"
	"io"
	"strings"
	"time"

	"github.com/mssante-go/sdk/trust"
)

// WriteTrustList writes the server's trust space as a liste blanche in the
// ANS format (namespace trust.Namespace), which trust.ParseList and a
// trust.Source file read: one <Domaine> for each domain of Options.Domains,
// TrustedDomains and DelayedDomains, naming the subject of the servers'
// certificate as DNCertificatOperateur, generated at the server's Clock.
// A client whose Config.Trust is that list accepts the recipients the
// server accepts, as with TrustChecker.
func (s *Server) WriteTrustList(w io.Writer) error {
	bw := bufio.NewWriter(w)
	now := s.opts.Clock.Now().UTC().Format(time.RFC3339)
	esc := func(v string) string {
		var b strings.Builder
		xml.EscapeText(&b, []byte(v))
		return b.String()
	}
	dn := esc(trust.SubjectDN(s.cert))
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<ListeBlancheMSSante xmlns="` + trust.Namespace + `">` + "\n" +
		"  <DateDeGeneration>" + now + "</DateDeGeneration>\n  <ListeDomaines>\n")
	seen := map[string]bool{}
	for _, list := range [][]string{s.opts.Domains, s.opts.TrustedDomains, s.opts.DelayedDomains} {
		for _, d := range list {
			d = strings.ToLower(d)
			if seen[d] {
				continue
			}
			seen[d] = true
			bw.WriteString("    <Domaine>\n      <Nom>" + esc(d) + "</Nom>\n" +
				"      <Description>mssantetest operator</Description>\n" +
				"      <DNCertificatOperateur>" + dn + "</DNCertificatOperateur>\n" +
				"      <DateMAJ>" + now + "</DateMAJ>\n    </Domaine>\n")
		}
	}
	bw.WriteString("  </ListeDomaines>\n</ListeBlancheMSSante>\n")
	return bw.Flush()
}
