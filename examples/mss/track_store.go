package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/delivery/pgstore"
)

// errStoreHeld is the answer for a boltstore file that another program
// holds open for writing: bbolt locks the file, so a reader waits for it.
var errStoreHeld = errors.New("another program holds the store (bbolt allows one process; use PostgreSQL to share it)")

// isPostgresURL reports whether a --store value names a PostgreSQL
// database rather than a file.
func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// storeShown is a --store value as it may be printed: a PostgreSQL URL
// without its password.
func storeShown(s string) string {
	if isPostgresURL(s) {
		return redactedURL(s)
	}
	return s
}

// openTrackStore opens a store for reading: a PostgreSQL one for a
// postgres:// URL (shared with running senders), else a boltstore file
// opened read-only. A file that is not a tracker store says so at once; a
// store held by a writer is waited for, at most wait. Errors name the
// --store flag (never a URL's password).
func openTrackStore(ctx context.Context, name, schema string, wait time.Duration) (delivery.Store, func(), error) {
	if isPostgresURL(name) {
		// The schema is the senders' business: a reader does not migrate.
		st, err := pgstore.Open(ctx, name, &pgstore.Options{Schema: schema, SkipMigration: true})
		if err != nil {
			return nil, nil, flagError("store", err)
		}
		return st, st.Close, nil
	}
	if err := checkTrackerFile(name, wait); err != nil {
		return nil, nil, flagFileError("store", name, err)
	}
	st, err := boltstore.Open(name, &boltstore.Options{ReadOnly: true, Timeout: wait})
	if errors.Is(err, bolterrors.ErrTimeout) {
		err = errStoreHeld // a writer opened it since the check
	}
	if err != nil {
		return nil, nil, flagFileError("store", name, err)
	}
	return st, func() { st.Close() }, nil
}

// checkTrackerFile tells a file that is not a tracker store (absent, a
// directory, not a bbolt file, a bbolt file of another program) from one
// that another program holds (errStoreHeld), before boltstore opens it.
func checkTrackerFile(name string, wait time.Duration) error {
	f, err := os.Open(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the flag names the file
		}
		return fmt.Errorf("no tracker store: %w", err)
	}
	info, err := f.Stat()
	if err == nil && info.IsDir() {
		f.Close()
		return errors.New("not a tracker store: a directory")
	}
	// A bbolt file starts with a meta page: a 16-byte page header, then the
	// magic number, in the byte order of the machine that wrote it.
	var head [20]byte
	n, err := io.ReadFull(f, head[:])
	f.Close()
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return errors.New("not a tracker store: the file is empty")
	case err != nil && err != io.ErrUnexpectedEOF:
		return err
	case n < len(head) || !boltMagic(head[16:20]):
		return errors.New("not a tracker store: not a bbolt file")
	}
	db, err := bolt.Open(name, 0, &bolt.Options{ReadOnly: true, Timeout: wait})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return errStoreHeld
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("not a readable tracker store: %w", err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) (err error) {
		defer func() {
			// bbolt panics on some damaged pages: a damaged file is an
			// answer, not a crash of the command.
			if p := recover(); p != nil {
				err = fmt.Errorf("not a readable tracker store: damaged bbolt file (%v)", p)
			}
		}()
		if tx.Bucket([]byte("messages")) == nil {
			return errors.New("not a tracker store: a bbolt file without the tracker's buckets")
		}
		return nil
	})
}

// boltMagic reports whether b holds bbolt's magic number, in either byte
// order.
func boltMagic(b []byte) bool {
	const magic = 0xED0CDAED
	return binary.LittleEndian.Uint32(b) == magic || binary.BigEndian.Uint32(b) == magic
}

// redactedURL is a URL with its password replaced by "xxxxx", to be shown;
// a value that is not a URL is shown as "(set)".
func redactedURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return "(set)"
}
