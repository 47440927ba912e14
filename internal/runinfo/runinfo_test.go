package runinfo

import (
	"runtime"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"--pg-dsn=postgres://bench:s3cret@db:5432/mss?sslmode=disable", "--pg-dsn=postgres://bench:xxxxx@db:5432/mss?sslmode=disable"},
		{"postgres://bench:s3cret@db/mss", "postgres://bench:xxxxx@db/mss"},
		{"postgres://postgres@127.0.0.1:5432/mss?sslmode=disable", "postgres://postgres@127.0.0.1:5432/mss?sslmode=disable"},
		{"postgres://db/mss?user=bench&password=s3cret", "postgres://db/mss?user=bench&password=xxxxx"},
		{"host=db user=bench password=s3cret dbname=mss", "host=db user=bench password=xxxxx dbname=mss"},
		{"host=db password='a b' dbname=mss", "host=db password=xxxxx dbname=mss"},
		{"--pairs", "--pairs"},
		// What a URL parser refuses is hidden all the same.
		{"--pg-dsn=postgres://u:s3%cret@h/db", "--pg-dsn=postgres://u:xxxxx@h/db"},
		{"postgres://u:s3c#ret@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u:s3c@ret@h/db", "postgres://u:xxxxx@h/db"},
		{`--pg-dsn="postgres://u:s3cret@h/db"`, `--pg-dsn="postgres://u:xxxxx@h/db"`},
		{"postgres://a:s3cret@h/db,postgres://b:s3cret@h2/db", "postgres://a:xxxxx@h/db,postgres://b:xxxxx@h2/db"},
		{`host=db password='s3c\'ret x' dbname=mss`, "host=db password=xxxxx dbname=mss"},
		{"https://h:8080/x?to=a@b", "https://h:xxxxx@b"}, // a port before an @: hidden too, rather than risk a password
	} {
		if got := Redact(tt.in); got != tt.want || strings.Contains(got, "s3cret") {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCommand(t *testing.T) {
	got := Command([]string{"/tmp/go-build1/b001/exe/mss", "bench", "--pairs", "3,4", "--pg-dsn", "postgres://u:pw@h/db", "a b"})
	want := `mss bench --pairs 3,4 --pg-dsn postgres://u:xxxxx@h/db "a b"`
	if got != want {
		t.Errorf("Command = %s, want %s", got, want)
	}
}

func TestEnv(t *testing.T) {
	for _, tt := range []struct{ name, value, want string }{
		{"MSSANTE_PG_DSN", "postgres://u:s3cret@h/db", "MSSANTE_PG_DSN=postgres://u:xxxxx@h/db"},
		{"MSSANTE_PG_DSN", "host=db password=s3cret", `MSSANTE_PG_DSN="host=db password=xxxxx"`},
		{"MSSANTE_BENCH_PAIRS", "7,8", "MSSANTE_BENCH_PAIRS=7,8"},
	} {
		if got := Env(tt.name, tt.value); got != tt.want {
			t.Errorf("Env(%q, %q) = %s, want %s", tt.name, tt.value, got, tt.want)
		}
	}
}

// The description names every part, whatever the machine.
func TestString(t *testing.T) {
	i := Collect("mss bench")
	s := i.String()
	for _, part := range []string{"run: commit ", i.Time.Format("2006-01-02 15:04:05 UTC"), runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH, " CPU", "GOMAXPROCS ", "; command: mss bench"} {
		if !strings.Contains(s, part) {
			t.Errorf("%q lacks %q", s, part)
		}
	}
	if i.Commit == "" {
		t.Error("no commit, not even unknown")
	}
}
