//! HMAC-SHA1, only to recognise OpenSSH's hashed known_hosts entries
//! (`|1|salt|hash`, where hash = HMAC-SHA1(salt, host)). The format fixes
//! SHA-1; a match only tells which line speaks about a host, the host key
//! itself is compared byte for byte.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// HMAC-SHA1 of `msg` under `key`.
pub(crate) fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    let mut out = [0u8; 20];
    // HMAC accepts keys of any length, so construction cannot fail.
    if let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(key) {
        mac.update(msg);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn rfc2202_vectors() {
        assert_eq!(
            hex(&hmac_sha1(&[0x0b; 20], b"Hi There")),
            "b617318655057264e28bc0b6fb378c8ef146be00"
        );
        assert_eq!(
            hex(&hmac_sha1(b"Jefe", b"what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            hex(&hmac_sha1(
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112"
        );
    }
}
