package boltstore

import bolt "go.etcd.io/bbolt"

// BlockSize is the size of the blocks bodies are stored in.
const BlockSize = chunkSize

// Blocks counts the stored blocks of bodies and the bodies marked as being
// added, for the tests that check that nothing is left behind.
func Blocks(s *Store) (blocks, adding int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		blocks = tx.Bucket(bucketChunks).Stats().KeyN
		adding = tx.Bucket(bucketAdding).Stats().KeyN
		return nil
	})
	return blocks, adding, err
}
