module github.com/mssante-go/sdk

go 1.25.0

require (
	github.com/coreos/go-oidc/v3 v3.21.0
	github.com/emersion/go-imap/v2 v2.0.0-beta.8
	github.com/emersion/go-message v0.18.2
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6
	github.com/emersion/go-smtp v0.25.1
	github.com/go-jose/go-jose/v4 v4.1.9
	github.com/smallstep/pkcs7 v0.2.3
	go.etcd.io/bbolt v1.4.3
	golang.org/x/crypto v0.41.0
	golang.org/x/oauth2 v0.36.0
	golang.org/x/text v0.28.0
)

require golang.org/x/sys v0.35.0 // indirect
