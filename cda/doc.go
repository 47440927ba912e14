// Package cda builds, reads and checks French CDA R2 documents (CI-SIS):
// the header of the "Volet Structuration minimale des documents de santé",
// level 1 bodies (N1: a PDF or plain text in nonXMLBody) and level 3 bodies
// (N3: structuredBody, kept as raw XML).
//
// What it implements:
//
//   - [Document], a model of the French header: id, setId, versionNumber,
//     type code (JDV_J07), title, effectiveTime, confidentiality (JDV_J08),
//     language, patient with INS and identity traits, authors (IdNat_PS,
//     specialty JDV_J01, organisation; or a device), custodian, legal
//     authenticator, information recipients, service events with performer
//     and practice setting (JDV_J04), encounter with facility type
//     (JDV_J02), relatedDocument RPLC.
//   - [NewN1] and [Document.Encode]: an N1 document with exactly the three
//     templateIds of the N1 profile, valid against CDA_extended.xsd and the
//     ANS structuration-minimale schematron (ASIP-STRUCT-MIN-StrucMin.sch,
//     2017-12-13); the tests run both when xmllint and Saxon-HE are
//     installed.
//   - [Parse]: a lenient, streaming reader of any CDA R2 document (wrapped
//     in ds:Signature or xsl:stylesheet too), bounded by [ParseOptions]; the
//     N1 payload is decoded on the fly from the input.
//   - [Patient.INSQualified]: the CI-SIS rule that an INS travels with the
//     birth identity traits, plus the key check of the matricule
//     ([CheckMatricule]).
//   - [Validate]: the header rules of the ANS schematron, in Go, as typed
//     [Problem] values.
//   - Value sets generated from the CI-SIS JDV files (go generate), the
//     typeCode→classCode mapping ([ClassCodeForType]) and formatCode
//     ([FormatCodeFor]) used by package xdm.
//
// Where it deliberately differs: Encode never writes xsi:schemaLocation
// (the CI-SIS asks producers not to); Parse accepts documents the
// schematron would reject, so that a receiver loses nothing, and leaves
// the judgement to Validate; Validate checks the SDK's model, not the
// datatype rules on elements the SDK does not read (addresses,
// participants, informants), and adds the INS key check, which the
// schematron does not make. ClassCodeForType is the SDK's own mapping, as
// the ANS table ASS_X04 was not available.
package cda
