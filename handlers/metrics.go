package handlers

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2/utils"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the Prometheus series of one instance, labelled by route template (never by
// raw path, to keep cardinality bounded).
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// webhookVersionMismatch counts authentic Stripe events refused for their API version:
	// any increase needs the webhook endpoint recreated (alert on it).
	webhookVersionMismatch prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "souk_http_requests_total", Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "souk_http_request_duration_seconds", Help: "HTTP request latency by method and route template.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
		webhookVersionMismatch: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "souk_stripe_webhook_api_version_mismatch_total", Help: "Stripe webhook events refused because of their API version.",
		}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.webhookVersionMismatch,
	)
	return m
}

// observe records one request. The labels are copied: Prometheus keeps them for the life of
// the series, and strings from a Fiber context point into buffers reused by later requests.
func (m *metrics) observe(method, route string, status int, elapsed time.Duration) {
	method, route = utils.CopyString(method), utils.CopyString(route)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(elapsed.Seconds())
}
