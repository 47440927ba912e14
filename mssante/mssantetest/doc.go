// Package mssantetest provides an MSSanté operator that runs in the process,
// for tests, examples and the quickstart, like net/http/httptest does for
// HTTP. Start one with [NewServer], add mailboxes with [Server.AddMailbox],
// and give [Server.Config] of a mailbox to mssante.NewClient.
//
// A [Server] listens on loopback ports and offers what a real operator
// offers a messaging client (Référentiel MSSanté #2, API LPS):
//
//   - SMTP submission (go-smtp) with STARTTLS (or implicit TLS), AUTH PLAIN,
//     XOAUTH2 and OAUTHBEARER with tokens it issues or, with
//     [Options.VerifyToken], only with those an identity provider such as
//     psctest's Pro Santé Connect look-alike vouches for, to the
//     professionals a mailbox names, EXTERNAL with client certificates it
//     issues, the SIZE and DSN (RFC 3461) extensions;
//   - refusal with 550 5.7.1 of recipients outside its trust list;
//   - local delivery into IMAP mailboxes (go-imap's memory server) with UIDs,
//     UIDVALIDITY, IDLE, MOVE and UIDPLUS, adding Return-Path;
//   - real RFC 3464 delivery reports: success when NOTIFY asks for it,
//     failure for unknown local mailboxes and closed ones (5.2.1, as Mon
//     Espace Santé), relayed for trusted remote domains, delayed for
//     domains set to never answer;
//   - a test PKI shaped like IGC-Santé (root, intermediate, server and client
//     certificates: [Server.RootCertificate], [Server.IntermediateCertificate],
//     [Server.RootCAs], [Server.ClientCertificate]); with
//     [Options.ServeRevocation] it publishes its CRLs (RFC 5280) and answers
//     OCSP requests (RFC 6960) on loopback, so that a trust.Verifier at the
//     default hard-fail policy accepts the server, and refuses it after
//     [Server.RevokeServerCertificate];
//   - its trust space as a liste blanche file ([Server.WriteTrustList]);
//   - fault injection at each stage of a session ([Fault]).
//
// It is not a real mail server: nothing leaves the process, and messages to
// other domains of its trust list are reported relayed and dropped.
package mssantetest
