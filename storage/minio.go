package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

const (
	// maxRetriesCap bounds Config.MaxRetries.
	maxRetriesCap = 5
	// dialTimeout bounds connecting to the S3 endpoint.
	dialTimeout = 3 * time.Second
	// unknownSizePartSize bounds the memory of a Put with size -1 (minio-go
	// would otherwise buffer parts of about 537 MiB).
	unknownSizePartSize = 16 << 20
)

// S3 error codes translated at the boundary.
const (
	codeNoSuchKey               = "NoSuchKey"
	codeNoSuchBucket            = "NoSuchBucket"
	codeBucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou"
)

// unavailableCodes are S3 error codes meaning "try again later".
var unavailableCodes = map[string]bool{
	"SlowDown":                   true,
	"ServiceUnavailable":         true,
	"InternalError":              true,
	"RequestTimeout":             true,
	"XMinioServerNotInitialized": true,
	"XMinioReadQuorum":           true,
	"XMinioWriteQuorum":          true,
}

// MinioStore is the Store on a MinIO / S3 bucket. The bucket stays private:
// browsers get objects through the app or through presigned URLs.
type MinioStore struct {
	client      *minio.Client
	transport   *http.Transport
	bucket      string
	timeout     time.Duration
	longTimeout time.Duration
}

var _ Store = (*MinioStore)(nil)

// newMinioStore connects to cfg.Endpoint and creates the bucket when missing.
// cfg must have its defaults applied.
func newMinioStore(ctx context.Context, cfg Config) (*MinioStore, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("open minio store: empty bucket")
	}
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("open minio store: bucket %q: %w", cfg.Bucket, err)
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("open minio store: missing access key or secret key")
	}
	tr, err := minio.DefaultTransport(cfg.UseSSL)
	if err != nil {
		return nil, fmt.Errorf("open minio store: build transport: %w", err)
	}
	tr.DialContext = (&net.Dialer{Timeout: min(dialTimeout, cfg.Timeout), KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = min(dialTimeout, cfg.Timeout)
	tr.ResponseHeaderTimeout = cfg.Timeout
	tr.ExpectContinueTimeout = time.Second
	tr.IdleConnTimeout = 90 * time.Second

	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.UseSSL,
		Region:    cfg.Region,
		Transport: tr,
		// minio-go counts attempts: 1 means no retry.
		MaxRetries: 1 + min(cfg.MaxRetries, maxRetriesCap),
	})
	if err != nil {
		return nil, fmt.Errorf("open minio store %q: %w", cfg.Endpoint, err)
	}
	s := &MinioStore{
		client:      client,
		transport:   tr,
		bucket:      cfg.Bucket,
		timeout:     cfg.Timeout,
		longTimeout: longCallFactor * cfg.Timeout,
	}
	if err := s.ensureBucket(ctx, cfg.Region); err != nil {
		tr.CloseIdleConnections()
		return nil, fmt.Errorf("open minio store %q: %w", cfg.Endpoint, err)
	}
	return s, nil
}

// ensureBucket creates the bucket when missing. A bucket created meanwhile
// by another instance is fine. No policy is ever set: the bucket is private.
func (s *MinioStore) ensureBucket(ctx context.Context, region string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return translate(fmt.Sprintf("check bucket %q", s.bucket), err)
	}
	if exists {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	if err != nil && minio.ToErrorResponse(err).Code != codeBucketAlreadyOwnedByYou {
		return translate(fmt.Sprintf("create bucket %q", s.bucket), err)
	}
	return nil
}

// Put implements Store. With size -1 the upload is multipart in 16 MiB parts.
func (s *MinioStore) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	ct, err := normalizeContentType(contentType)
	if err != nil {
		return fmt.Errorf("put object %q: %w", key, err)
	}
	body := newExactReader(r, size)
	if size == 0 {
		// minio-go may not read an empty body: check it before uploading.
		if _, err := body.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			return fmt.Errorf("put object %q: %w", key, err)
		}
	}
	opts := minio.PutObjectOptions{ContentType: ct}
	if size < 0 {
		opts.PartSize = unknownSizePartSize
	}
	ctx, cancel := context.WithTimeout(ctx, s.longTimeout)
	defer cancel()
	_, err = s.client.PutObject(ctx, s.bucket, key, body, size, opts)
	if er, ok := body.(*exactReader); ok {
		if rerr := er.failure(); rerr != nil {
			if err == nil {
				// The upload completed although the reader failed
				// afterwards: take the object back.
				_ = s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
			}
			return fmt.Errorf("put object %q: %w", key, rerr)
		}
	}
	if err != nil {
		return translate(fmt.Sprintf("put object %q", key), err)
	}
	return nil
}

// minioReader closes the object and releases its context.
type minioReader struct {
	*minio.Object
	cancel context.CancelFunc
}

// Close implements io.Closer.
func (m minioReader) Close() error {
	defer m.cancel()
	if err := m.Object.Close(); err != nil {
		return fmt.Errorf("close object: %w", err)
	}
	return nil
}

// Open implements Store. The stream must be read within six times
// Config.Timeout.
func (s *MinioStore) Open(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return nil, ObjectInfo{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.longTimeout)
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		cancel()
		return nil, ObjectInfo{}, translate(fmt.Sprintf("open object %q", key), err)
	}
	st, err := obj.Stat() // sends the GET
	if err != nil {
		_ = obj.Close()
		cancel()
		return nil, ObjectInfo{}, translate(fmt.Sprintf("open object %q", key), err)
	}
	return minioReader{Object: obj, cancel: cancel}, objectInfo(key, st), nil
}

// Stat implements Store.
func (s *MinioStore) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	st, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return ObjectInfo{}, translate(fmt.Sprintf("stat object %q", key), err)
	}
	return objectInfo(key, st), nil
}

// objectInfo converts minio-go's object info.
func objectInfo(key string, st minio.ObjectInfo) ObjectInfo {
	ct := st.ContentType
	if ct == "" {
		ct = DefaultContentType
	}
	return ObjectInfo{Key: key, Size: st.Size, ContentType: ct, ModTime: st.LastModified}
}

// Delete implements Store. A missing key is not an error.
func (s *MinioStore) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != codeNoSuchKey {
		return translate(fmt.Sprintf("delete object %q", key), err)
	}
	return nil
}

// List implements Store. S3 lists keys in byte order; keys that break the
// key rules (written by other tools) are skipped. The whole listing must
// finish within six times Config.Timeout.
func (s *MinioStore) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	if err := validatePrefix(prefix); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.longTimeout)
	defer cancel() // also stops minio-go's listing goroutine on early return
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return translate(fmt.Sprintf("list objects %q", prefix), obj.Err)
		}
		if ValidateKey(obj.Key) != nil {
			continue
		}
		if err := fn(ObjectInfo{Key: obj.Key, Size: obj.Size, ModTime: obj.LastModified}); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return translate(fmt.Sprintf("list objects %q", prefix), err)
	}
	return nil
}

// URL implements Store.
func (s *MinioStore) URL(key string) string {
	return mediaURL(key)
}

// PresignGet implements Store with a SigV4 presigned GET, valid for ttl
// capped at MaxPresignTTL. The URL is bound to Config.Endpoint's host.
func (s *MinioStore) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	ttl, err := checkPresignTTL(ttl)
	if err != nil {
		return "", fmt.Errorf("presign object %q: %w", key, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, ttl, nil)
	if err != nil {
		return "", translate(fmt.Sprintf("presign object %q", key), err)
	}
	return u.String(), nil
}

// Ping implements Store: the bucket must exist, answered within 1.5 s.
func (s *MinioStore) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, min(pingTimeout, s.timeout))
	defer cancel()
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return translate(fmt.Sprintf("ping bucket %q", s.bucket), err)
	}
	if !exists {
		return fmt.Errorf("ping bucket %q: %w", s.bucket, ErrNotFound)
	}
	return nil
}

// Kind implements Store.
func (s *MinioStore) Kind() string { return "minio" }

// Close implements Store.
func (s *MinioStore) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// translate maps a minio-go error to the package's sentinel errors, keeping
// the original error in the chain. op reads like "stat object \"img/a.jpg\"".
func translate(op string, err error) error {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		switch {
		case resp.Code == codeNoSuchKey || resp.Code == codeNoSuchBucket:
			return fmt.Errorf("%s: %w: %w", op, ErrNotFound, err)
		case resp.StatusCode >= http.StatusInternalServerError || unavailableCodes[resp.Code]:
			return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || minio.IsNetworkOrHostDown(err, false) {
		return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
