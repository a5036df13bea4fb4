package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
)

// onlyReader hides every method but Read (no Seek, no ReadAt, no Len), the
// way a request body looks.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// put stores data under key or fails the test.
func put(t *testing.T, s Store, key string, data []byte, ct string) {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data)), ct); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

// read opens key and returns its bytes and info, or fails the test.
func read(t *testing.T, s Store, key string) ([]byte, ObjectInfo) {
	t.Helper()
	rc, info, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer func() {
		if err := rc.Close(); err != nil {
			t.Errorf("Close(%q): %v", key, err)
		}
	}()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b, info
}

// listKeys returns the keys List reports under prefix.
func listKeys(t *testing.T, s Store, prefix string) []string {
	t.Helper()
	var keys []string
	err := s.List(t.Context(), prefix, func(o ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

// assertMissing checks that key is not stored.
func assertMissing(t *testing.T, s Store, key string) {
	t.Helper()
	if _, err := s.Stat(t.Context(), key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat(%q) = %v, want ErrNotFound", key, err)
	}
}

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	r := mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// invalidKeys break the key rules.
var invalidKeys = []string{
	"", "../x", "/abs", "a//b", "A.JPG", "a/./b", "a/../b", ".", "..", "a/", "a/..",
	"img/x y.jpg", "img/x\x00.jpg", "img\\x.jpg", "img/é.jpg", "img/x.jpg?y", "img/%2e%2e",
	strings.Repeat("a", MaxKeyLen+1),
}

// testStoreConformance is the one contract both backends must meet.
func testStoreConformance(t *testing.T, s Store) {
	t.Helper()
	cases := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"round trip keeps bytes, size and content type", func(t *testing.T, s Store) {
			key := "conf/rt/a.jpg"
			data := []byte("\xff\xd8\xff not really a jpeg")
			before := time.Now().Add(-time.Minute)
			put(t, s, key, data, "image/jpeg")
			info, err := s.Stat(t.Context(), key)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			if info.Key != key || info.Size != int64(len(data)) || info.ContentType != "image/jpeg" {
				t.Fatalf("Stat = %+v, want key %q size %d type image/jpeg", info, key, len(data))
			}
			if info.ModTime.Before(before) || info.ModTime.After(time.Now().Add(time.Minute)) {
				t.Fatalf("ModTime = %v, want about now", info.ModTime)
			}
			got, oinfo := read(t, s, key)
			if !bytes.Equal(got, data) {
				t.Fatalf("Open bytes = %q, want %q", got, data)
			}
			if oinfo.Key != key || oinfo.Size != info.Size || oinfo.ContentType != "image/jpeg" {
				t.Fatalf("Open info = %+v, want %+v", oinfo, info)
			}
		}},
		{"unknown size and default content type", func(t *testing.T, s Store) {
			key := "conf/unknown/b.bin"
			data := randomBytes(70_000, 1)
			if err := s.Put(t.Context(), key, onlyReader{bytes.NewReader(data)}, -1, ""); err != nil {
				t.Fatalf("Put: %v", err)
			}
			got, info := read(t, s, key)
			if !bytes.Equal(got, data) || info.Size != int64(len(data)) || info.ContentType != DefaultContentType {
				t.Fatalf("Open = %d bytes %+v, want %d bytes of %s", len(got), info, len(data), DefaultContentType)
			}
		}},
		{"empty object", func(t *testing.T, s Store) {
			key := "conf/empty/e"
			put(t, s, key, nil, "text/plain; charset=utf-8")
			got, info := read(t, s, key)
			if len(got) != 0 || info.Size != 0 || info.ContentType != "text/plain; charset=utf-8" {
				t.Fatalf("Open = %q %+v", got, info)
			}
			key = "conf/empty/unknown-size"
			if err := s.Put(t.Context(), key, onlyReader{strings.NewReader("")}, -1, "text/plain"); err != nil {
				t.Fatalf("Put(empty, size -1): %v", err)
			}
			if got, info := read(t, s, key); len(got) != 0 || info.Size != 0 {
				t.Fatalf("Open(empty, size -1) = %q %+v", got, info)
			}
		}},
		{"overwrite replaces bytes and content type", func(t *testing.T, s Store) {
			key := "conf/over/c.img"
			put(t, s, key, []byte("first version, longer"), "image/png")
			put(t, s, key, []byte("second"), "image/webp")
			got, info := read(t, s, key)
			if string(got) != "second" || info.Size != 6 || info.ContentType != "image/webp" {
				t.Fatalf("Open = %q %+v, want second/6/image/webp", got, info)
			}
			if keys := listKeys(t, s, "conf/over/"); !slices.Equal(keys, []string{key}) {
				t.Fatalf("List = %q, want only %q", keys, key)
			}
		}},
		{"delete is idempotent", func(t *testing.T, s Store) {
			key := "conf/del/d.jpg"
			put(t, s, key, []byte("x"), "image/jpeg")
			for i := range 2 {
				if err := s.Delete(t.Context(), key); err != nil {
					t.Fatalf("Delete #%d: %v", i+1, err)
				}
			}
			assertMissing(t, s, key)
			if err := s.Delete(t.Context(), "conf/del/never-existed.jpg"); err != nil {
				t.Fatalf("Delete(never existed): %v", err)
			}
			if keys := listKeys(t, s, "conf/del/"); len(keys) != 0 {
				t.Fatalf("List after delete = %q", keys)
			}
		}},
		{"missing objects are ErrNotFound", func(t *testing.T, s Store) {
			for _, key := range []string{"conf/missing/x.jpg", "conf/rt/a.jpg/below-a-file", "conf"} {
				if _, err := s.Stat(t.Context(), key); !errors.Is(err, ErrNotFound) {
					t.Errorf("Stat(%q) = %v, want ErrNotFound", key, err)
				}
				rc, _, err := s.Open(t.Context(), key)
				if !errors.Is(err, ErrNotFound) || rc != nil {
					t.Errorf("Open(%q) = %v, %v, want nil, ErrNotFound", key, rc, err)
				}
			}
		}},
		{"list is sorted, recursive and bounded by prefix", func(t *testing.T, s Store) {
			want := []string{
				"conf/list/a-c", "conf/list/a.x", "conf/list/a/b", "conf/list/a0",
				"conf/list/b", "conf/list/z/y/x",
			}
			others := []string{"conf/listother/q", "conf/lis", "conf/lista"}
			all := append(slices.Clone(want), others...)
			mrand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
			for i, key := range all {
				put(t, s, key, bytes.Repeat([]byte{'k'}, i+1), "text/plain")
			}
			sizes := map[string]int64{}
			err := s.List(t.Context(), "conf/list/", func(o ObjectInfo) error {
				sizes[o.Key] = o.Size
				if o.ModTime.IsZero() {
					t.Errorf("List %q: zero ModTime", o.Key)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			got := listKeys(t, s, "conf/list/")
			if !slices.Equal(got, want) {
				t.Fatalf("List(conf/list/) = %q, want %q", got, want)
			}
			for i, key := range all {
				if sz, ok := sizes[key]; ok && sz != int64(i+1) {
					t.Errorf("List size of %q = %d, want %d", key, sz, i+1)
				}
			}
			if got := listKeys(t, s, "conf/list/a"); !slices.Equal(got, want[:4]) {
				t.Errorf("List(conf/list/a) = %q, want %q", got, want[:4])
			}
			if got := listKeys(t, s, "conf/listother/"); !slices.Equal(got, []string{"conf/listother/q"}) {
				t.Errorf("List(conf/listother/) = %q", got)
			}
			if got := listKeys(t, s, "conf/nothing-here/"); len(got) != 0 {
				t.Errorf("List(conf/nothing-here/) = %q, want none", got)
			}
			if got := listKeys(t, s, ""); !slices.IsSorted(got) || !slices.Contains(got, "conf/lis") {
				t.Errorf("List(\"\") not sorted or incomplete: %q", got)
			}
			stop := errors.New("stop")
			calls := 0
			err = s.List(t.Context(), "conf/list/", func(ObjectInfo) error { calls++; return stop })
			if !errors.Is(err, stop) || calls != 1 {
				t.Errorf("List with failing fn = %v after %d calls, want stop after 1", err, calls)
			}
		}},
		{"invalid keys are rejected", func(t *testing.T, s Store) {
			ctx := t.Context()
			for _, key := range invalidKeys {
				checks := map[string]error{
					"Put":        s.Put(ctx, key, strings.NewReader("x"), 1, "text/plain"),
					"Delete":     s.Delete(ctx, key),
					"PresignGet": func() error { _, err := s.PresignGet(ctx, key, time.Minute); return err }(),
					"Stat":       func() error { _, err := s.Stat(ctx, key); return err }(),
					"Open": func() error {
						rc, _, err := s.Open(ctx, key)
						if rc != nil {
							_ = rc.Close()
						}
						return err
					}(),
				}
				for op, err := range checks {
					if !errors.Is(err, ErrInvalidKey) {
						t.Errorf("%s(%q) = %v, want ErrInvalidKey", op, shorten(key), err)
					}
				}
			}
			for _, prefix := range []string{"../", "/abs", "a//", "A/", "a/../"} {
				err := s.List(ctx, prefix, func(ObjectInfo) error { return nil })
				if !errors.Is(err, ErrInvalidKey) {
					t.Errorf("List(%q) = %v, want ErrInvalidKey", prefix, err)
				}
			}
		}},
		{"size mismatch stores nothing", func(t *testing.T, s Store) {
			key := "conf/size/m.bin"
			put(t, s, key, []byte("original"), "image/png")
			for _, tc := range []struct {
				declared int64
				data     []byte
			}{
				{10, []byte("short")},
				{5, []byte("much too long")},
				{0, []byte("x")},
				{3 << 20, randomBytes(1<<20, 2)},
				{1 << 20, randomBytes(3<<20, 3)},
			} {
				err := s.Put(t.Context(), key, onlyReader{bytes.NewReader(tc.data)}, tc.declared, "image/jpeg")
				if !errors.Is(err, errSizeMismatch) {
					t.Errorf("Put(declared %d, got %d) = %v, want size mismatch", tc.declared, len(tc.data), err)
				}
				fresh := fmt.Sprintf("conf/size/fresh-%d-%d", tc.declared, len(tc.data))
				err = s.Put(t.Context(), fresh, onlyReader{bytes.NewReader(tc.data)}, tc.declared, "image/jpeg")
				if !errors.Is(err, errSizeMismatch) {
					t.Errorf("Put(%s) = %v, want size mismatch", fresh, err)
				}
				assertMissing(t, s, fresh)
			}
			got, info := read(t, s, key)
			if string(got) != "original" || info.ContentType != "image/png" {
				t.Fatalf("after failed overwrites: %q %+v, want the original", got, info)
			}
			if keys := listKeys(t, s, "conf/size/"); !slices.Equal(keys, []string{key}) {
				t.Fatalf("List = %q, want only %q", keys, key)
			}
		}},
		{"bad content type is rejected", func(t *testing.T, s Store) {
			for _, ct := range []string{"text/html\r\nSet-Cookie: a=b", "image/jpeg\x00", "not a type", "ïmage/png"} {
				key := "conf/ct/x.jpg"
				err := s.Put(t.Context(), key, strings.NewReader("x"), 1, ct)
				if !errors.Is(err, errInvalidContentType) {
					t.Errorf("Put(type %q) = %v, want invalid content type", ct, err)
				}
				assertMissing(t, s, key)
			}
		}},
		{"canceled context", func(t *testing.T, s Store) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			key := "conf/cancel/x"
			if err := s.Put(ctx, key, strings.NewReader("x"), 1, "text/plain"); !errors.Is(err, context.Canceled) {
				t.Errorf("Put = %v, want context.Canceled", err)
			}
			if _, err := s.Stat(ctx, key); err == nil {
				t.Error("Stat with canceled context succeeded")
			}
			assertMissing(t, s, key)
		}},
		{"concurrent puts to different keys", func(t *testing.T, s Store) {
			const n = 16
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Go(func() {
					key := fmt.Sprintf("conf/conc/%02d", i)
					data := randomBytes(10_000+i, uint64(i))
					if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data)), "image/webp"); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("concurrent Put: %v", err)
			}
			keys := listKeys(t, s, "conf/conc/")
			if len(keys) != n {
				t.Fatalf("List = %d keys, want %d", len(keys), n)
			}
			for i, key := range keys {
				got, info := read(t, s, key)
				if !bytes.Equal(got, randomBytes(10_000+i, uint64(i))) || info.ContentType != "image/webp" {
					t.Errorf("%s: wrong bytes or type %q", key, info.ContentType)
				}
			}
		}},
		{"5 MiB object round trip", func(t *testing.T, s Store) {
			data := randomBytes(5<<20, 42)
			want := sha256.Sum256(data)
			for _, tc := range []struct {
				key  string
				size int64
			}{{"conf/big/known.bin", int64(len(data))}, {"conf/big/unknown.bin", -1}} {
				if err := s.Put(t.Context(), tc.key, onlyReader{bytes.NewReader(data)}, tc.size, "application/octet-stream"); err != nil {
					t.Fatalf("Put(%s): %v", tc.key, err)
				}
				rc, info, err := s.Open(t.Context(), tc.key)
				if err != nil {
					t.Fatalf("Open(%s): %v", tc.key, err)
				}
				h := sha256.New()
				n, err := io.Copy(h, rc)
				if cerr := rc.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					t.Fatalf("read %s: %v", tc.key, err)
				}
				if n != int64(len(data)) || info.Size != n || !bytes.Equal(h.Sum(nil), want[:]) {
					t.Fatalf("%s: %d bytes (info %d), sha256 mismatch = %v", tc.key, n, info.Size, !bytes.Equal(h.Sum(nil), want[:]))
				}
			}
		}},
		{"urls and presigning", func(t *testing.T, s Store) {
			key := "conf/url/p.jpg"
			put(t, s, key, []byte("x"), "image/jpeg")
			if got := s.URL(key); got != "/media/"+key {
				t.Errorf("URL = %q, want /media/%s", got, key)
			}
			u, err := s.PresignGet(t.Context(), key, 5*time.Minute)
			if err != nil || u == "" {
				t.Fatalf("PresignGet = %q, %v", u, err)
			}
			if s.Kind() == "disk" && u != s.URL(key) {
				t.Errorf("disk PresignGet = %q, want URL", u)
			}
			if _, err := s.PresignGet(t.Context(), key, 30*24*time.Hour); err != nil {
				t.Errorf("PresignGet(30 days) = %v, want capped, not failed", err)
			}
			if _, err := s.PresignGet(t.Context(), key, 0); err == nil {
				t.Error("PresignGet(ttl 0) succeeded")
			}
		}},
		{"ping and kind", func(t *testing.T, s Store) {
			start := time.Now()
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Ping took %v", d)
			}
			if k := s.Kind(); k != "disk" && k != "minio" {
				t.Errorf("Kind = %q", k)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, s) })
	}
}

// newTestDisk opens a disk store in a fresh temp folder.
func newTestDisk(t *testing.T) (*DiskStore, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "objects")
	s, err := New(t.Context(), Config{Dir: dir})
	if err != nil {
		t.Fatalf("New(disk): %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ds, ok := s.(*DiskStore)
	if !ok {
		t.Fatalf("New(disk) = %T, want *DiskStore", s)
	}
	return ds, dir
}

func TestDiskStore(t *testing.T) {
	s, dir := newTestDisk(t)
	testStoreConformance(t, s)

	// Failed and finished puts leave no temp file behind.
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), tempPrefix) {
			t.Errorf("temp file left behind: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
}

// minioTestConfig returns the MinIO test server's settings with a fresh
// bucket name, or skips (fails under SOUK_REQUIRE_SERVICES=1) when unset.
func minioTestConfig(t *testing.T) Config {
	t.Helper()
	endpoint := os.Getenv("TEST_S3_ENDPOINT")
	access := os.Getenv("TEST_S3_ACCESS_KEY")
	secret := os.Getenv("TEST_S3_SECRET_KEY")
	if endpoint == "" || access == "" || secret == "" {
		const msg = "MinIO tests need TEST_S3_ENDPOINT, TEST_S3_ACCESS_KEY and TEST_S3_SECRET_KEY"
		if os.Getenv("SOUK_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg + " (SOUK_REQUIRE_SERVICES=1)")
		}
		t.Skip(msg + "; skipping")
	}
	return Config{
		Endpoint:  endpoint,
		AccessKey: access,
		SecretKey: secret,
		Bucket:    "souk-test-" + strings.ToLower(rand.Text()[:16]),
		UseSSL:    os.Getenv("TEST_S3_USE_SSL") == "1",
	}
}

// newTestMinio opens a MinIO store on a fresh bucket, emptied and removed
// when the test ends.
func newTestMinio(t *testing.T) (*MinioStore, Config) {
	t.Helper()
	cfg := minioTestConfig(t)
	st, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New(minio): %v", err)
	}
	s, ok := st.(*MinioStore)
	if !ok {
		t.Fatalf("New(minio) = %T, want *MinioStore", st)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for obj := range s.client.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true}) {
			if obj.Err != nil {
				t.Errorf("cleanup list: %v", obj.Err)
				break
			}
			if err := s.client.RemoveObject(ctx, cfg.Bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
				t.Errorf("cleanup remove %s: %v", obj.Key, err)
			}
		}
		if err := s.client.RemoveBucket(ctx, cfg.Bucket); err != nil {
			t.Errorf("cleanup remove bucket %s: %v", cfg.Bucket, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, cfg
}

func TestMinioStore(t *testing.T) {
	s, cfg := newTestMinio(t)
	testStoreConformance(t, s)

	// A second New on the same bucket (another instance) is fine.
	again, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New on existing bucket: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// httpGet fetches u and returns the status and body.
func httpGet(t *testing.T, u string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatalf("build request %s: %v", u, err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read %s: %v", u, err)
	}
	return res.StatusCode, body
}

func TestMinioBucketIsPrivateAndPresignedURLs(t *testing.T) {
	s, cfg := newTestMinio(t)
	key := NewKey("img", "jpg")
	data := []byte("private photo bytes")
	put(t, s, key, data, "image/jpeg")
	put(t, s, "img/other.jpg", []byte("another photo"), "image/jpeg")

	scheme := "http"
	if cfg.UseSSL {
		scheme = "https"
	}
	base := scheme + "://" + cfg.Endpoint + "/" + cfg.Bucket
	for _, u := range []string{base + "/" + key, base + "/", base + "?list-type=2"} {
		if code, _ := httpGet(t, u); code != http.StatusForbidden {
			t.Errorf("anonymous GET %s = %d, want 403", u, code)
		}
	}

	signed, err := s.PresignGet(t.Context(), key, time.Minute)
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}
	if code, body := httpGet(t, signed); code != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("presigned GET = %d %q, want 200 %q", code, body, data)
	}

	u, err := url.Parse(signed)
	if err != nil {
		t.Fatalf("parse %s: %v", signed, err)
	}
	q := u.Query()
	sig := q.Get("X-Amz-Signature")
	if sig == "" {
		t.Fatalf("presigned URL without signature: %s", signed)
	}
	flipped := "0"
	if sig[len(sig)-1] == '0' {
		flipped = "1"
	}
	badSig := *u
	q.Set("X-Amz-Signature", sig[:len(sig)-1]+flipped)
	badSig.RawQuery = q.Encode()
	otherKey := *u
	otherKey.Path = "/" + cfg.Bucket + "/img/other.jpg"
	longer := *u
	q = u.Query()
	q.Set("X-Amz-Expires", "604800")
	longer.RawQuery = q.Encode()
	for name, tampered := range map[string]string{
		"signature": badSig.String(), "key": otherKey.String(), "expiry": longer.String(),
	} {
		if code, _ := httpGet(t, tampered); code != http.StatusForbidden {
			t.Errorf("presigned URL with tampered %s = %d, want 403", name, code)
		}
	}

	short, err := s.PresignGet(t.Context(), key, time.Second)
	if err != nil {
		t.Fatalf("PresignGet(1s): %v", err)
	}
	time.Sleep(2500 * time.Millisecond)
	if code, _ := httpGet(t, short); code != http.StatusForbidden {
		t.Errorf("expired presigned GET = %d, want 403", code)
	}
}

func TestMinioUnreachableFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	start := time.Now()
	s, err := New(t.Context(), Config{Endpoint: addr, AccessKey: "souk", SecretKey: "soukSecret", Bucket: "souk-closed"})
	if err == nil {
		_ = s.Close()
		t.Fatal("New on a closed port succeeded")
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("New on a closed port = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("New on a closed port took %v, want < 5s", d)
	}
}

// fakeS3 answers 200 to everything, or hangs while hang is set.
type fakeS3 struct {
	hang atomic.Bool
	stop chan struct{}
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.hang.Load() {
		select {
		case <-r.Context().Done():
		case <-f.stop:
		}
		return
	}
	w.WriteHeader(http.StatusOK)
}

func TestMinioHangingOrGoneServerFailsFast(t *testing.T) {
	fake := &fakeS3{stop: make(chan struct{})}
	srv := httptest.NewServer(fake)
	t.Cleanup(func() {
		close(fake.stop)
		srv.Close()
	})
	st, err := New(t.Context(), Config{
		Endpoint:  strings.TrimPrefix(srv.URL, "http://"),
		AccessKey: "souk", SecretKey: "soukSecret", Bucket: "souk-fake", Region: "us-east-1",
		Timeout: time.Second,
	})
	if err != nil {
		t.Fatalf("New(fake): %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Ping(t.Context()); err != nil {
		t.Fatalf("Ping(fake): %v", err)
	}

	fake.hang.Store(true)
	checks := []struct {
		name  string
		limit time.Duration
		call  func() error
	}{
		{"Ping", 2 * time.Second, func() error { return st.Ping(t.Context()) }},
		{"Stat", 3 * time.Second, func() error { _, err := st.Stat(t.Context(), "img/a.jpg"); return err }},
	}
	for _, c := range checks {
		start := time.Now()
		if err := c.call(); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s on a hanging server = %v, want ErrUnavailable", c.name, err)
		}
		if d := time.Since(start); d > c.limit {
			t.Errorf("%s on a hanging server took %v, want < %v", c.name, d, c.limit)
		}
	}

	fake.hang.Store(false)
	srv.CloseClientConnections()
	if err := srv.Listener.Close(); err != nil { // the port must refuse connections now
		t.Fatalf("close fake listener: %v", err)
	}
	start := time.Now()
	if err := st.Ping(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Ping on a gone server = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Ping on a gone server took %v", d)
	}
}

func TestDiskKeysNeverEscapeTheRoot(t *testing.T) {
	s, dir := newTestDisk(t)
	outside := filepath.Join(filepath.Dir(dir), "outside")
	if err := os.MkdirAll(outside, 0o750); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"../outside/secret.txt", "a/../../outside/secret.txt", "/" + secret, "..", "a/.."} {
		if _, err := s.Stat(t.Context(), key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Stat(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	// Symbolic links planted in the folder don't lead out of it either.
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "file-link")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"link/secret.txt", "file-link"} {
		if rc, _, err := s.Open(t.Context(), key); err == nil {
			_ = rc.Close()
			t.Errorf("Open(%q) through a symlink succeeded", key)
		}
	}
	if err := s.Put(t.Context(), "link/new.txt", strings.NewReader("x"), 1, "text/plain"); err == nil {
		t.Error("Put through a symlink succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "new.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file written outside the root: %v", err)
	}
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("List returned symlinks: %q", keys)
	}
}

func TestDiskTempAndMetadataFilesAreHidden(t *testing.T) {
	s, dir := newTestDisk(t)
	put(t, s, "img/a.jpg", []byte("a"), "image/jpeg")
	put(t, s, "b", []byte("b"), "image/png")

	sidecar := filepath.Join(dir, metaDir, "img", "a.jpg")
	if b, err := os.ReadFile(sidecar); err != nil || string(b) != "image/jpeg" {
		t.Fatalf("sidecar %s = %q, %v", sidecar, b, err)
	}
	// Leftovers of a crash and foreign files.
	for _, name := range []string{"img/" + tempPrefix + "CRASHED", tempPrefix + "ROOT", "img/UPPER.JPG", "img/space name"} {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "img", ".tmp~dir"), 0o750); err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, s, ""); !slices.Equal(got, []string{"b", "img/a.jpg"}) {
		t.Fatalf("List = %q, want [b img/a.jpg]", got)
	}
	if err := s.Delete(t.Context(), "img/a.jpg"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Stat(sidecar); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("sidecar left after Delete: %v", err)
	}
	// Deleting a key that names a folder deletes nothing.
	put(t, s, "dir/x", []byte("x"), "")
	if err := s.Delete(t.Context(), "dir"); err != nil {
		t.Fatalf("Delete(folder): %v", err)
	}
	if _, err := s.Stat(t.Context(), "dir/x"); err != nil {
		t.Fatalf("Stat(dir/x) after Delete(dir): %v", err)
	}
}

func TestValidateKey(t *testing.T) {
	valid := []string{
		"a", "img/2f1c0b9e-7c1d-4b7a-9a57-0c8f3b5e6d21.jpg", "a/b/c", "a.b_c-d", "x/.hidden", "a..b",
		"...", strings.Repeat("a", MaxKeyLen),
	}
	for _, key := range valid {
		if err := ValidateKey(key); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", shorten(key), err)
		}
	}
	for _, key := range invalidKeys {
		if err := ValidateKey(key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", shorten(key), err)
		}
	}
}

func TestNewKey(t *testing.T) {
	pattern := regexp.MustCompile(`^img/[0-9a-f-]{36}\.(jpg|png|webp)$`)
	seen := map[string]bool{}
	for _, ext := range []string{"jpg", "png", ".webp"} {
		for range 100 {
			key := NewKey("img", ext)
			if !pattern.MatchString(key) {
				t.Fatalf("NewKey = %q, want %s", key, pattern)
			}
			if err := ValidateKey(key); err != nil {
				t.Fatalf("ValidateKey(NewKey) = %v", err)
			}
			id, err := uuid.Parse(strings.TrimSuffix(key[len("img/"):], filepath.Ext(key)))
			if err != nil || id.Version() != 4 {
				t.Fatalf("NewKey %q: not a UUID v4 (%v)", key, err)
			}
			if seen[key] {
				t.Fatalf("NewKey repeated %q", key)
			}
			seen[key] = true
		}
	}
	if key := NewKey("", "bin"); strings.Contains(key, "/") || !strings.HasSuffix(key, ".bin") {
		t.Errorf("NewKey(\"\", bin) = %q", key)
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no dir":         {},
		"no bucket":      {Endpoint: "127.0.0.1:1", AccessKey: "a", SecretKey: "b"},
		"no credentials": {Endpoint: "127.0.0.1:1", Bucket: "souk"},
	} {
		if s, err := New(t.Context(), cfg); err == nil {
			_ = s.Close()
			t.Errorf("New(%s) succeeded", name)
		}
	}
}

func TestExactReaderPeeksBeforeTheLastByte(t *testing.T) {
	// io.ReadFull stops at the declared size; the mismatch must still show.
	r := newExactReader(strings.NewReader("abcdef"), 3)
	buf := make([]byte, 3)
	if _, err := io.ReadFull(r, buf); !errors.Is(err, errSizeMismatch) {
		t.Fatalf("ReadFull = %v, want size mismatch", err)
	}
	r = newExactReader(strings.NewReader("abc"), 3)
	if b, err := io.ReadAll(r); err != nil || string(b) != "abc" {
		t.Fatalf("ReadAll = %q, %v", b, err)
	}
}

func TestTranslateKeepsTheCause(t *testing.T) {
	cause := minio.ErrorResponse{Code: "NoSuchKey", StatusCode: http.StatusNotFound, Message: "gone"}
	err := translate(`stat object "img/a.jpg"`, cause)
	var resp minio.ErrorResponse
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &resp) || resp.Code != "NoSuchKey" {
		t.Fatalf("translate = %v", err)
	}
	if got := err.Error(); !strings.HasPrefix(got, `stat object "img/a.jpg": object not found`) {
		t.Errorf("message = %q", got)
	}
	err = translate("ping bucket", minio.ErrorResponse{Code: "XMinioServerNotInitialized", StatusCode: http.StatusServiceUnavailable})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("503 translate = %v, want ErrUnavailable", err)
	}
}
