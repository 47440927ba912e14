// Package mimeparse holds the fast paths of MIME parsing that package
// mssante/mail uses to meet the sync budget of BENCHMARKS.md: a header
// reader and a multipart splitter that work in place on a message held in
// memory, a multipart splitter for the stream path whose part headers are
// bounded, a block base64 decoder, a parser for the media-type values
// mailers write, pooled message buffers and the spool writer (memory up to
// a threshold, then a temporary file).
//
// Each reads exactly as the go-message code it replaces does; the
// differential fuzz targets of this package (FuzzReadHeaderInPlace,
// FuzzSimpleMediaType, FuzzStreamMultipart) compare them with it. They are
// not the domain: the message model is package mail.
package mimeparse
