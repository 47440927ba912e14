package pgtest

import "strconv"

// settings returns the server settings of a cluster in dir listening on
// port, passed to postgres as -c options. The package doc says why each
// is what it is. durableCommits keeps synchronous_commit on.
func settings(dir string, port int, durableCommits bool) map[string]string {
	s := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"port":                    strconv.Itoa(port),
		"unix_socket_directories": dir,
		"fsync":                   "off",
		"full_page_writes":        "off",
		"synchronous_commit":      "off",
		"wal_level":               "minimal",
		"max_wal_senders":         "0",
		"shared_buffers":          "32MB",
		"jit":                     "off",
	}
	if durableCommits {
		s["synchronous_commit"] = "on"
	}
	return s
}
