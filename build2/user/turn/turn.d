build2/user/turn/turn.o: user/turn/turn.c user/base/addr.h \
 include/wgturn.h user/turn/turn.h user/turn/stun.h
user/base/addr.h:
include/wgturn.h:
user/turn/turn.h:
user/turn/stun.h:
