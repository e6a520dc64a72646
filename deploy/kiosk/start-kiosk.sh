#!/bin/sh
# Chromium in kiosk mode, as a touch kiosk or locker screen runs it (deploy/systemd/cloudlocker-kiosk.service).
#   --kiosk                 full screen: no address bar, no tabs, no way out to the desktop
#   --disable-pinch         no pinch zoom (the pages have their own large-print button)
#   --overscroll-history-navigation=0, --disable-features=TouchpadOverscrollHistoryNavigation
#                           no swiping back to the last resident's pages
#   --noerrdialogs --disable-session-crashed-bubble --disable-infobars
#                           no "restore pages?" after a power cut, no bars over the page
#   --incognito             nothing kept between restarts (the enrolment cookie is set again at the
#                           first start: open /kiosk/enrol once with KIOSK_PROFILE set to keep it)
# The context menu is switched off by the pages themselves on an enrolled terminal (kiosk.js).
# KIOSK_COMPOSITOR runs Chromium on the bare screen (cage, a Wayland kiosk compositor: apt-get install
# cage chromium fonts-wqy-microhei); set it empty to run inside an existing desktop session.
set -eu
URL="${KIOSK_URL:-http://127.0.0.1:8000/}"
PROFILE="${KIOSK_PROFILE:-}"
COMPOSITOR="${KIOSK_COMPOSITOR-cage --}"
if [ -n "$PROFILE" ]; then
  PRIVATE="--user-data-dir=$PROFILE"
else
  PRIVATE="--incognito"
fi
# shellcheck disable=SC2086  # the compositor's words and the profile option are meant to split
exec $COMPOSITOR chromium --kiosk --no-first-run --noerrdialogs --disable-infobars \
  --disable-session-crashed-bubble --disable-pinch --overscroll-history-navigation=0 \
  --disable-features=TouchpadOverscrollHistoryNavigation,Translate --check-for-update-interval=31536000 \
  --autoplay-policy=no-user-gesture-required $PRIVATE "$URL"
