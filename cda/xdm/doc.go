// Package xdm builds and reads IHE XDM packages (IHE ITI-32, "Distribute
// Document Set on Media"), the IHE_XDM.ZIP that carries CDA R2 documents
// in MSSanté mails.
//
// A package holds README.TXT (the creating application, its version and a
// contact, as ITI-32 asks: Options.Vendor, VendorVersion, Contact),
// INDEX.HTM and one submission set folder
// IHE_XDM/SUBSET01/ with the documents DOC0001.XML… (8.3 upper-case names)
// and METADATA.XML, an ebRIM 3.0 lcm:SubmitObjectsRequest (valid against
// the OASIS ebRS 3.0 lcm.xsd) with one DocumentEntry per document, the
// SubmissionSet, HasMember associations (full URN) and an RPLC association
// for a replacement. Every file is dated Options.SubmissionTime, so that
// the same documents and options give the same bytes. The XDS-b metadata are derived from the CDA header
// ([EntryFromCDA]) with the French value sets and HL7 v2 formats of the
// CI-SIS (patientId as CX with the INS OID, authorPerson XCN with IdNat_PS,
// authorInstitution XON with IdNat_Struct, times in UTC, SHA-1 hash).
//
// [Writer] streams: documents are copied into the ZIP as they are read and
// hashed on the way; only each CDA header is held in memory. A package is
// about one patient ([ErrMultiplePatients]).
//
// # Reading: lenient with senders, strict with attackers
//
// [Read] opens what other implementations write, because a document mail
// that cannot be opened is a document the physician never sees. Names may
// use back-slashes (Windows zip tools) and any case (IHE asks for upper-case
// 8.3 names); a submission set is the folder of a METADATA.XML whose name
// starts with SUBSET, under IHE_XDM/, at the root, or deeper (an export
// folder zipped whole);
// README.TXT and INDEX.HTM may be missing; association types may be short,
// scheme UUIDs carry stray white space. What is wrong with one document is
// reported on that document ([Document.Problems], [DocumentError]) and the
// others stay readable:
//   - a DocumentEntry without URI is matched to the only file of its
//     folder that no other entry names (when it is the only such entry;
//     METADATA.XML and hidden files aside), else to a file named after its
//     uniqueId or id, else reported missing ([ErrMissingFile]); an empty
//     URI is never joined to the folder path;
//   - a URI naming no file, or a METADATA.XML, is [ErrMissingFile]; one
//     leaving its folder is [ErrUnsafePath];
//   - a file named by several entries is given to none ([ErrSharedFile]):
//     the metadata say whose document a file is, and which entry describes
//     it is ambiguous;
//   - a hash or size that differs from the file's is [ErrHashMismatch] or
//     [ErrSizeMismatch], with both values; the document stays readable and
//     flagged ([Document.HashOK] false); an absent hash or size is a note
//     ([ErrNoHash], [ErrNoSize]): nothing could be checked.
//
// What could be an attack refuses the whole archive, as strictly as ever:
// names that could escape a folder (absolute, "..", drive letters, also
// through back-slashes: [PathError]), duplicate names (in any case or
// separator), encrypted entries, and the bounds of [ReadOptions]
// ([LimitError]): entry count, total uncompressed size, compression ratio,
// METADATA.XML size, depth, attributes per element and elements, and the
// number of DocumentEntries (50 by default). Every file is inflated at most
// once and every byte inflated counts against MaxTotalSize, so that a small
// archive listing many entries cannot ask for much work. Documents are
// never extracted to disk. [Package.Verify] returns the first problem that
// is not a note, for callers that accept only a package whose every
// document is present and matches.
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
