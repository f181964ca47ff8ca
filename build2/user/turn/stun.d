build2/user/turn/stun.o: user/turn/stun.c user/turn/stun.h \
 include/wgturn.h
user/turn/stun.h:
include/wgturn.h:
