// Package googleapi holds what the Google Cloud providers (stt/google and
// tts/google) share about reaching Google: the client options derived from
// their configuration, and the retry policy for a phone caller who is
// waiting.
package googleapi

import (
	"time"

	gax "github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// Conn is where and how a client connects. The providers' Configs carry
// these fields under the same names.
type Conn struct {
	Endpoint        string // host:port overriding the service's default endpoint; empty: the library's
	CredentialsFile string // service-account key JSON; empty: Application Default Credentials
	Insecure        bool   // plaintext gRPC without credentials: local fakes in tests only
}

// ClientOptions are the options for the client library's NewClient: those
// derived from c, then opts, which so override them.
func (c Conn) ClientOptions(opts ...option.ClientOption) []option.ClientOption {
	var all []option.ClientOption
	if c.Endpoint != "" {
		all = append(all, option.WithEndpoint(c.Endpoint))
	}
	if c.CredentialsFile != "" {
		all = append(all, option.WithAuthCredentialsFile(option.ServiceAccount, c.CredentialsFile))
	}
	if c.Insecure {
		all = append(all, option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
	return append(all, opts...)
}

// RetryOnce retries a call once, after delay, when the service is
// unavailable, and never otherwise. It replaces the library's default
// (retry Unavailable, and for some calls DeadlineExceeded, with backoff for
// as long as the context lasts): a phone caller is waiting, a refused
// connection must not turn into a timeout, and the session has its own
// retry and apology.
func RetryOnce(delay time.Duration) gax.CallOption {
	return gax.WithRetry(func() gax.Retryer { return &unavailableOnce{left: 1, delay: delay} })
}

type unavailableOnce struct {
	left  int
	delay time.Duration
}

func (r *unavailableOnce) Retry(err error) (time.Duration, bool) {
	if r.left == 0 || status.Code(err) != codes.Unavailable {
		return 0, false
	}
	r.left--
	return r.delay, true
}
