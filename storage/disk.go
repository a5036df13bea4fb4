package storage

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

const (
	// dirPerm is the mode of folders created by the disk store.
	dirPerm = 0o750
	// filePerm is the mode of files written by the disk store.
	filePerm = 0o640
	// metaDir holds one content-type sidecar per object, mirroring the key
	// tree. "~" can never appear in a key, so it never collides with one and
	// List never returns it.
	metaDir = ".meta~"
	// tempPrefix starts the name of every temp file; "~" keeps temp files
	// out of List, also after a crash.
	tempPrefix = ".tmp~"
	// maxMetaLen bounds a sidecar read.
	maxMetaLen = 1024
)

// DiskStore is the Store on a local folder, the embedded default. Writes are
// atomic (temp file, fsync, rename) and every file access goes through an
// os.Root, so no key or symbolic link reaches outside the folder.
type DiskStore struct {
	dir  string
	root *os.Root
}

var _ Store = (*DiskStore)(nil)

// newDiskStore creates (0o750) and opens the folder cfg.Dir.
func newDiskStore(ctx context.Context, cfg Config) (*DiskStore, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open disk store: %w", err)
	}
	if cfg.Dir == "" {
		return nil, errors.New("open disk store: empty dir")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("open disk store %q: %w", cfg.Dir, err)
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("create disk store dir %q: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open disk store %q: %w", dir, err)
	}
	if err := root.MkdirAll(metaDir, dirPerm); err != nil {
		_ = root.Close()
		return nil, fmt.Errorf("create disk store metadata dir: %w", err)
	}
	return &DiskStore{dir: dir, root: root}, nil
}

// name validates key and returns its file name relative to the root.
func (s *DiskStore) name(key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	name := filepath.FromSlash(key)
	// Belt and braces on top of ValidateKey and os.Root: the cleaned path
	// must stay under the root.
	full := filepath.Join(s.dir, name)
	if !filepath.IsLocal(name) || !strings.HasPrefix(full, s.dir+string(filepath.Separator)) {
		return "", fmt.Errorf("validate key %q: %w: escapes the store", shorten(key), ErrInvalidKey)
	}
	return name, nil
}

// metaName returns the sidecar file name of the object file name.
func metaName(name string) string {
	return filepath.Join(metaDir, name)
}

// Put implements Store. The bytes go to a temp file in the object's folder,
// are synced and renamed over the object, after its content-type sidecar.
func (s *DiskStore) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	name, err := s.name(key)
	if err != nil {
		return err
	}
	ct, err := normalizeContentType(contentType)
	if err != nil {
		return fmt.Errorf("put object %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put object %q: %w", key, err)
	}
	tmp, err := s.writeTemp(ctx, name, newExactReader(r, size))
	if err != nil {
		return fmt.Errorf("put object %q: %w", key, err)
	}
	// The sidecar is committed first: a reader never finds a new object
	// without its content type.
	if err := s.writeFile(ctx, metaName(name), ct); err != nil {
		_ = s.root.Remove(tmp)
		return fmt.Errorf("put object %q: write metadata: %w", key, err)
	}
	if err := s.root.Rename(tmp, name); err != nil {
		_ = s.root.Remove(tmp)
		return fmt.Errorf("put object %q: %w", key, err)
	}
	s.syncDir(filepath.Dir(name))
	return nil
}

// writeFile atomically replaces name with content.
func (s *DiskStore) writeFile(ctx context.Context, name, content string) error {
	tmp, err := s.writeTemp(ctx, name, strings.NewReader(content))
	if err != nil {
		return err
	}
	if err := s.root.Rename(tmp, name); err != nil {
		_ = s.root.Remove(tmp)
		return fmt.Errorf("rename temp file: %w", err)
	}
	return nil
}

// writeTemp copies r into a new synced temp file next to name and returns
// the temp file's name. On error nothing is left behind.
func (s *DiskStore) writeTemp(ctx context.Context, name string, r io.Reader) (string, error) {
	dir := filepath.Dir(name)
	if err := s.root.MkdirAll(dir, dirPerm); err != nil {
		return "", fmt.Errorf("create dir: %w", err)
	}
	tmp := filepath.Join(dir, tempPrefix+rand.Text())
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return "", fmt.Errorf("create temp file: %w", err)
	}
	_, err = io.Copy(f, ctxReader{ctx: ctx, r: r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = s.root.Remove(tmp)
		return "", fmt.Errorf("write temp file: %w", err)
	}
	return tmp, nil
}

// syncDir flushes a folder entry after a rename. It is best effort: the
// object is already in place, and some platforms can't sync folders.
func (s *DiskStore) syncDir(dir string) {
	d, err := s.root.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// Open implements Store. The returned reader is an *os.File (also an
// io.ReadSeeker).
func (s *DiskStore) Open(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	name, err := s.name(key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("open object %q: %w", key, err)
	}
	f, err := s.root.Open(name)
	if err != nil {
		return nil, ObjectInfo{}, s.fileErr("open object", key, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		_ = f.Close()
		return nil, ObjectInfo{}, s.fileErr("open object", key, err)
	}
	info, err := s.info(key, name, fi)
	if err != nil {
		_ = f.Close()
		return nil, ObjectInfo{}, fmt.Errorf("open object %q: %w", key, err)
	}
	return f, info, nil
}

// Stat implements Store.
func (s *DiskStore) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	name, err := s.name(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, fmt.Errorf("stat object %q: %w", key, err)
	}
	fi, err := s.root.Stat(name)
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return ObjectInfo{}, s.fileErr("stat object", key, err)
	}
	info, err := s.info(key, name, fi)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("stat object %q: %w", key, err)
	}
	return info, nil
}

// info builds the ObjectInfo of an object file, reading its sidecar.
func (s *DiskStore) info(key, name string, fi fs.FileInfo) (ObjectInfo, error) {
	ct, err := s.contentType(name)
	if err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{Key: key, Size: fi.Size(), ContentType: ct, ModTime: fi.ModTime()}, nil
}

// contentType reads the sidecar of name; a missing or damaged sidecar gives
// DefaultContentType.
func (s *DiskStore) contentType(name string) (string, error) {
	f, err := s.root.Open(metaName(name))
	if isNotExist(err) {
		return DefaultContentType, nil
	}
	if err != nil {
		return "", fmt.Errorf("read metadata: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxMetaLen))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("read metadata: %w", err)
	}
	if ct, cterr := normalizeContentType(string(b)); cterr == nil {
		return ct, nil
	}
	return DefaultContentType, nil // a damaged sidecar must not hide the object
}

// Delete implements Store. A missing key (or a key naming a folder) is not
// an error.
func (s *DiskStore) Delete(ctx context.Context, key string) error {
	name, err := s.name(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete object %q: %w", key, err)
	}
	fi, err := s.root.Lstat(name)
	switch {
	case isNotExist(err):
	case err != nil:
		return fmt.Errorf("delete object %q: %w", key, err)
	case fi.IsDir():
		return nil
	default:
		if err := s.root.Remove(name); err != nil && !isNotExist(err) {
			return fmt.Errorf("delete object %q: %w", key, err)
		}
	}
	if err := s.root.Remove(metaName(name)); err != nil && !isNotExist(err) {
		return fmt.Errorf("delete object %q: remove metadata: %w", key, err)
	}
	return nil
}

// List implements Store. It walks the folders in key order, skipping temp
// files, the metadata tree and anything whose name is not a valid key.
func (s *DiskStore) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	if err := validatePrefix(prefix); err != nil {
		return err
	}
	base := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		base = prefix[:i]
	}
	return s.walk(ctx, base, prefix, fn)
}

// dirEntry is a folder entry with the name it sorts by.
type dirEntry struct {
	fs.DirEntry
	sortName string
}

// walk lists the folder of dirKey ("" for the root). Folders sort as
// name + "/", which makes a depth-first walk visit keys in byte order.
func (s *DiskStore) walk(ctx context.Context, dirKey, prefix string, fn func(ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list objects %q: %w", prefix, err)
	}
	dirName := "."
	if dirKey != "" {
		dirName = filepath.FromSlash(dirKey)
	}
	d, err := s.root.Open(dirName)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list objects %q: %w", prefix, err)
	}
	raw, err := d.ReadDir(-1)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list objects %q: %w", prefix, err)
	}
	entries := make([]dirEntry, 0, len(raw))
	for _, e := range raw {
		if !validSegment(e.Name()) {
			continue
		}
		switch {
		case e.IsDir():
			entries = append(entries, dirEntry{DirEntry: e, sortName: e.Name() + "/"})
		case e.Type().IsRegular():
			entries = append(entries, dirEntry{DirEntry: e, sortName: e.Name()})
		}
	}
	slices.SortFunc(entries, func(a, b dirEntry) int { return strings.Compare(a.sortName, b.sortName) })

	for _, e := range entries {
		key := e.Name()
		if dirKey != "" {
			key = path.Join(dirKey, e.Name())
		}
		if e.IsDir() {
			sub := key + "/"
			if strings.HasPrefix(sub, prefix) || strings.HasPrefix(prefix, sub) {
				if err := s.walk(ctx, key, prefix, fn); err != nil {
					return err
				}
			}
			continue
		}
		if !strings.HasPrefix(key, prefix) || ValidateKey(key) != nil {
			continue
		}
		fi, err := e.Info()
		if isNotExist(err) {
			continue // deleted while listing
		}
		if err != nil {
			return fmt.Errorf("list objects %q: %w", prefix, err)
		}
		if err := fn(ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// URL implements Store.
func (s *DiskStore) URL(key string) string {
	return mediaURL(key)
}

// PresignGet implements Store: the disk store has no signed URLs, so it
// returns URL(key) after checking key and ttl.
func (s *DiskStore) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if _, err := checkPresignTTL(ttl); err != nil {
		return "", fmt.Errorf("presign object %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("presign object %q: %w", key, err)
	}
	return s.URL(key), nil
}

// Ping implements Store: the root folder must still be a folder.
func (s *DiskStore) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ping disk store: %w", err)
	}
	fi, err := s.root.Stat(".")
	if err != nil {
		return fmt.Errorf("ping disk store %q: %w: %w", s.dir, ErrUnavailable, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("ping disk store %q: %w: not a folder", s.dir, ErrUnavailable)
	}
	return nil
}

// Kind implements Store.
func (s *DiskStore) Kind() string { return "disk" }

// Close implements Store.
func (s *DiskStore) Close() error {
	if err := s.root.Close(); err != nil {
		return fmt.Errorf("close disk store: %w", err)
	}
	return nil
}

// fileErr translates a file-system error on key.
func (s *DiskStore) fileErr(op, key string, err error) error {
	if isNotExist(err) {
		return fmt.Errorf("%s %q: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("%s %q: %w", op, key, err)
}

// isNotExist reports a missing file, also when a path component is a file.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
