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
// Where the SDK differs from or goes beyond the texts: the submission set
// contentTypeCode defaults to the first document's type code (the JDV_J03
// list was not available); the RPLC association targets the uniqueId of the
// replaced document, as the XDM package does not know its entryUUID.
package xdm
