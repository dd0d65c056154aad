"""File formats, pure and without I/O: ticket QR codes (PNG/SVG) and attendee lists (CSV/XLSX).

Imported only by the routes that need them: qrcode and XlsxWriter are heavy for a cold start.
"""
