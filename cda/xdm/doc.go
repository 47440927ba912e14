// Package xdm builds and reads IHE XDM packages (IHE ITI-32, "Distribute
// Document Set on Media"), the IHE_XDM.ZIP that carries CDA R2 documents
// in MSSanté mails.
//
// A package holds README.TXT, INDEX.HTM and one submission set folder
// IHE_XDM/SUBSET01/ with the documents DOC0001.XML… (8.3 upper-case names)
// and METADATA.XML, an ebRIM 3.0 lcm:SubmitObjectsRequest (valid against
// the OASIS ebRS 3.0 lcm.xsd) with one DocumentEntry per document, the
// SubmissionSet, HasMember associations (full URN) and an RPLC association
// for a replacement. The XDS-b metadata are derived from the CDA header
// ([EntryFromCDA]) with the French value sets and HL7 v2 formats of the
// CI-SIS (patientId as CX with the INS OID, authorPerson XCN with IdNat_PS,
// authorInstitution XON with IdNat_Struct, times in UTC, SHA-1 hash).
//
// [Writer] streams: documents are copied into the ZIP as they are read and
// hashed on the way; only each CDA header is held in memory. A package is
// about one patient ([ErrMultiplePatients]).
//
// [Read] is lenient with real archives (mixed case, back-slashes, an extra
// top folder, missing README/INDEX, short association types, stray white
// space in scheme UUIDs) and safe with hostile ones: unsafe names are
// refused ([PathError]) and [ReadOptions] bounds the entry count, the total
// uncompressed size, the compression ratio, the METADATA.XML size and its
// XML depth ([LimitError]). Documents are never extracted to disk.
//
// The coded metadata come from the ANS tables generated in package cda
// (sources and versions in cda/xdscodes_gen.go):
//
//   - formatCode (JDV_J10): ASS_A11 by the model templateId of an N3
//     document, ASS_A12 by the media type of an N1 body. A document whose
//     model is in neither is an error of [Writer.Add]
//     ([*cda.UnknownModelError], naming the templateIds), not a silent
//     omission: set [DocumentOptions.FormatCode], or ask for
//     "urn:asipSante:modelesHorsProfils:2011" (document non référencé IHE
//     ou CI-SIS) with [DocumentOptions.UnreferencedModel] or
//     [Options.UnreferencedModels].
//   - contentTypeCode of the submission set (JDV_J03: TRE_R209 type
//     d'activité, TRE_R02 secteur d'activité, TRE_A00): [Options.ContentType],
//     by default [cda.ContentTypeFor] the first document (from its
//     encounter type; 97 "Type d'activité indifférencié" without one).
//   - mimeType: application/xslt+xml for a self-presenting CDA (root
//     xsl:stylesheet), text/xml otherwise, as the CI-SIS says.
//
// Where the SDK differs from or goes beyond the texts: the RPLC association
// targets the uniqueId of the replaced document, as the XDM package does
// not know its entryUUID; the default contentTypeCode is the SDK's reading
// of the CI-SIS HL7 v2 mapping (patient class to TRE_R209).
package xdm
