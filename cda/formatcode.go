package cda

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/internal/textcut"
)

// FormatUnreferenced is the JDV_J10 formatCode of a document whose model is
// in no ANS table: "Document non référencé IHE ou CI-SIS". Package xdm uses
// it only when the caller asks for it.
var FormatUnreferenced = Code{Code: "urn:asipSante:modelesHorsProfils:2011", CodeSystem: OIDFormatCodeComp,
	DisplayName: "Document non référencé IHE ou CI-SIS"}

// ErrUnknownModel is wrapped by [*UnknownModelError].
var ErrUnknownModel = errors.New("cda: document model in no formatCode table")

// UnknownModelError reports a document whose formatCode the ANS tables do
// not give: an N3 document none of whose templateIds is in ASS_A11, or an
// N1 document whose media type is not in ASS_A12. It wraps
// ErrUnknownModel.
type UnknownModelError struct {
	// TemplateIDs are the document's templateIds other than the HL7
	// France, CI-SIS and IHE XDS-SD ones: the model templateIds looked up.
	TemplateIDs []string
	// MediaType is the media type of an N1 body; "" for an N3 document.
	MediaType string
}

func (e *UnknownModelError) Error() string {
	if e.MediaType != "" {
		return fmt.Sprintf("%v: N1 media type %q is not in ASS_A12", ErrUnknownModel, clip(e.MediaType))
	}
	if len(e.TemplateIDs) == 0 {
		return fmt.Sprintf("%v: no model templateId besides %s and %s", ErrUnknownModel, TemplateHL7France, TemplateCISIS)
	}
	ids := e.TemplateIDs
	more := ""
	if len(ids) > 3 {
		ids, more = ids[:3], fmt.Sprintf(" and %d more", len(e.TemplateIDs)-3)
	}
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = fmt.Sprintf("%q", clip(id))
	}
	return fmt.Sprintf("%v: templateId %s%s not in ASS_A11", ErrUnknownModel, strings.Join(quoted, ", "), more)
}

func (e *UnknownModelError) Unwrap() error { return ErrUnknownModel }

// clip shortens a value quoted in an error message.
func clip(s string) string { return textcut.Cut(s, 64) }

// FormatCode returns the XDS formatCode (JDV_J10) of d, as the CI-SIS
// derives it from the header: for an N1 body, from its media type
// (ASS_A12: application/pdf gives urn:ihe:iti:xds-sd:pdf:2008); for an N3
// body, from the first templateId that names a model of ASS_A11. It
// returns an [*UnknownModelError] when neither table knows the document;
// the caller then sets the formatCode itself, or chooses
// [FormatUnreferenced].
func FormatCode(d *Document) (Code, error) {
	if d.Body.Kind == BodyNonXML {
		if f, ok := formatOfMedia[d.Body.MediaType]; ok {
			return f, nil
		}
		mt := d.Body.MediaType
		if mt == "" {
			mt = "(none)"
		}
		return Code{}, &UnknownModelError{MediaType: mt}
	}
	var models []string
	for _, t := range d.TemplateIDs {
		switch t.Root {
		case TemplateHL7France, TemplateCISIS, TemplateXDSSD:
			continue
		}
		if f, ok := formatOfTemplate[t.Root]; ok {
			return f, nil
		}
		models = append(models, t.Root)
	}
	return Code{}, &UnknownModelError{TemplateIDs: models}
}

// FormatCodeFor is [FormatCode] without the reason: it returns false when
// the ANS tables do not know the document's model.
func FormatCodeFor(d *Document) (Code, bool) {
	c, err := FormatCode(d)
	return c, err == nil
}

// LookupFormatCode returns the JDV_J10 concept (formatCode) with that code.
func LookupFormatCode(code string) (Code, bool) { return jdvFormatCode.lookup(code) }

// FormatCodes returns the JDV_J10 format codes.
func FormatCodes() []Code { return jdvFormatCode.list() }
