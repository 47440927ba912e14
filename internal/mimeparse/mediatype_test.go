package mimeparse

import (
	"reflect"
	"testing"

	"github.com/emersion/go-message"
)

var mediaTypeSeeds = []string{
	"", "text/plain", "text/plain; charset=utf-8", "Text/HTML ; Charset = \"UTF-8\" ;",
	`multipart/mixed; boundary="=_c4cbd2d9e0e7eef5fc030a11"`, "application/pdf; name=cr.pdf",
	`attachment; filename="IHE_XDM.ZIP"`, "inline", "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
	`attachment; filename="=?utf-8?q?r=C3=A9sum=C3=A9.pdf?="`, "text/plain; charset=a; charset=b",
	"text/plain; charset=a; charset=a", "text/; x=y", "text/plain;;", "text/plain; charset", `text/plain; a="b`,
	"text/plain; a=\"\"", "multipart/report; report-type=delivery-status; boundary=x", "text/plain (comment)",
	"text/plain; a=b c", "\ttext/plain\t;\ta\t=\tb", "text/plain; a=\"x\\\"y\"", "/plain", "text/plain/x",
	"attachment; filename=\"a.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", "attachment; filename*=utf-8'fr'a%20b; filename=x",
	"attachment; filename*=ISO-8859-1''r%E9sum%E9.pdf", "attachment; filename*=UTF-8''bad%2", "attachment; filename*0=a; filename*1=b",
	"attachment; filename*=UTF-8''%3D%3Fx%3F%3D", "attachment; filename*=\"UTF-8''q%20q\"", "attachment; filename*=UTF-8''a; filename*=UTF-8''b",
}

// The fast path gives exactly what go-message gives, or steps aside.
func TestSimpleMediaType(t *testing.T) {
	for _, v := range mediaTypeSeeds {
		checkSimpleMediaType(t, v)
	}
}

func FuzzSimpleMediaType(f *testing.F) {
	for _, v := range mediaTypeSeeds {
		f.Add(v)
	}
	f.Fuzz(checkSimpleMediaType)
}

func checkSimpleMediaType(t *testing.T, v string) {
	mt, params, ok := parseSimpleMediaType(v)
	if !ok {
		return
	}
	var h message.Header
	h.Set("Content-Type", v)
	if h.Get("Content-Type") != v {
		return // not a value a header can hold
	}
	wmt, wparams, err := h.ContentType()
	if err != nil || mt != wmt || !reflect.DeepEqual(params, wparams) {
		t.Fatalf("%q: fast %q %v, go-message %q %v %v", v, mt, params, wmt, wparams, err)
	}
}
