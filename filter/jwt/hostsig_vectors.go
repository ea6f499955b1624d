package jwt

// Self-test vectors for the host's verify_signature (hostsig.go): for each
// algorithm the host may verify, a public key A, a signature by A over
// selfTestText, and a second key B of the same kind (the "another key"
// question). They were made once with Go's crypto/rsa and crypto/ecdsa
// from throwaway keys whose private halves were discarded;
// TestHostSelfTest_vectors checks each with the standard library. Keys
// and signatures are base64url; RSA keys have e = 65537; EC keys are
// uncompressed points (04 || X || Y); ECDSA signatures are JWS r||s.

const selfTestText = "apiguard self-test.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLmNvbS8ifQ"

type selfTestVector struct {
	alg  string
	keyA string
	keyB string
	sig  string
}

const (
	selfTestRSAA = "kgLB_s6awzPGxZXXv8retaiqov8aPLe1OJoqAErtczcG9kyivvtek4PLY4RyhgBVRAlC2OAjk9xhg-NN-m8D98bY5ddaCsUD" +
		"4w33k0MHo1xjgD16JZruci5ZxMEeJc9UPnlTV4BJLMglHGsA1at4xxEYFmlLIexC8X6DRyjJ7ndP8J2npZhf4tLtkiu0-LxE" +
		"05v_0XoaiOCZMtZ6VrmFZLxKPo1rAH6pO8JnS0nnAjvLL-zBn5R8-UPhUGXlnXi8Xr90XoxHcyxcCr1iG048N-j44O_K9Pzb" +
		"o9SvBVmp5Lc7JcwLi12KU8orB6cBA6AYtkNLjg4-EBX6Dwi7kCFE2Q"
	selfTestRSAB = "xyN1tKMc9VGx5ighHLbzXSSHo8tgzqeUEjhu63d61RqD_9DA9cEZlsgrYMfP8SgeyQZbGxCmpheISZ_i-XpHY-j364vcSmBO" +
		"_9vpj3z27WiOItEPrZqBRF0_nUfSkH5a1sPcB7eP8AqmAhxnKxJf_yMH1o3Vb4MqwLFOq9AaLwh-_VN5wVmJfKOyZejvXDPG" +
		"kznk8oe4NWJaOCVw4mcXJDMKOwea0Q39YkVAec7LFfl2Xr15HyZQrPSAC9_2NwpgNdgd6SNsLc3-GlX6Xa8Zdf7vD46vDtDG" +
		"JQ2wphM1nlTzziOOUEU2BtMLmKs96RS3wPSPaRy046sxZgSR0hHE5w"
)

var selfTestVectors = []selfTestVector{
	{alg: "RS256", keyA: selfTestRSAA, keyB: selfTestRSAB, sig: "Pde3S-l-WEZ1I-Xf5NQs1dPSWYgYiQV7ZCZapA4kJW4rFH6zA-mb5mDzEaBCMiJB_t4ywcc_v_O57PEJFxYqsgg_gmWcnrcd" +
		"vYLFDmxT2FeT0vkPFMotJwJxDLrEwdyLDQZ8Ot3FKTUEg0Qz5nDpvdhOhtsXUP9e-zLXs3uRC1SZaMvJI8rYTf_Ss_XZS2Y2" +
		"moCYHK2O0b3wCtTOvvLNSzvfchqC_4UssHDMXx_r-YfbfpUV_Giosq3mIFdeiwZXbaMjhRbHqnLOgpe4dqGkEv87Di4uM6LV" +
		"hTPK-qAVe7oXxrm-LG30rAZvEGyve_PxMPJWTwbYCG1yv60Y3Pr-0A"},
	{alg: "RS384", keyA: selfTestRSAA, keyB: selfTestRSAB, sig: "aKtRydbwZwzkFcy-rTA1BC1KHakMgKX8cKu06NIB8seHcRBMmUWjm0tKkzkhn6uQY8VsYBUFY94OawuxJy-07KjK6y9NF29m" +
		"Ko0TsGn245L9Iu_Jg7T59ZxaxlrpKxIxlkXB4ez2QXzfzbdP73D6A6q0TFpV_A1GMTPPm1rcibz3Auf6NgzWbmLRIfAQQ0xd" +
		"gaY37zfqDixp_N46evePfG1zc223JyyL3UfEyScEHA9uYqDZqni5bXFbOZ_fUSKW-W9PS0PulI88NC41DPjEd76PtIOkW0IR" +
		"loqR-99AdC81ZGEuARWUBw5ofGKtmf8PhDtkCh4s0TcjoqpV5t4uww"},
	{alg: "RS512", keyA: selfTestRSAA, keyB: selfTestRSAB, sig: "ikh25gjJc04c8nenhfyLEsqnhM6ZPeusG2simlNTv2Pr9gdxE6pz83UFtJ4-l7gTBqcnm6cGRYseMr9XqTRoSda5PzqBV8fj" +
		"OF66aLAwYZQQyvz8U3cJzlutGorwk79dnGQGKD1lmMsPmcq-D-rrSPn2HfbArbya_mJjEqzhxkJZc9wTGtsu6DQk321FHmf5" +
		"KOGvguX6phR8NG-TQnVww2Ec_FerE49sdwFz0ozsE83V3KTEIZ5m7L1gt3SS3bF_Mp5eYhHdc35Q8SX5AjNGC6PB_Hbw2CtK" +
		"yXZiuzeldckTvEFbwQyN1cG9mWvawKI2empHJifb6NJIkAtEhoMw-Q"},
	{alg: "ES256",
		keyA: "BJyX0jQtFlc65IapSvVmdHql1mA-H3VHpmeBaWftr8nZxTySOFtMGyp1ckkNB1kwqsNEr9nvC1HIt04nAcjyv8M",
		keyB: "BIsU8AgH5IfTl1_uL_8c0xjIsNLH1g0NIy4mH_o_wSvZ44Kq0tppaoXsWahC0e-OItydD2Oe-EOm1OT11SEBXCI",
		sig:  "jW3Y_5eM2wS_tq_WJtwmA7Hi_6FGKnqKyCdn9drpELD6Dbak3tN6kI88hI50lZ9UlwsQmLYbd60uLAmA_ytrVA"},
	{alg: "ES384",
		keyA: "BHdJwn6sqbf4bd_XRmjst6amgdC2OhECqUP3ccamfl3anVC9BQWAouxVujSTwXTlccegio-yrVH9UD3JHWM5gfWW74qkT9_3" +
			"tFRnM1aGmJSQk6BzjZ_XUWE0X0QpTz8inA",
		keyB: "BEEjCrePMcn-Csj4b5SfQUHWAFYG4W7FpyDlMk1_xKubCTsRFfyiQxIawhwAbS5whLmPHy8YV-kQHEEwVhcmyiwJ5esGFSfs" +
			"QZaV5Er-RKlAbLdaUDcdcKBJSOt_vm-YfQ",
		sig: "wdqAa9IZ_Y5Cnfnqk9OxWOEzEbVZx_XGPP1Bdgq_f8qxCvHHpp9IK3n47tPYVk-Ec9qaspAPfQC6CEjQEjJDIOCuitB4g8ex" +
			"KqjEvPMOXf9ff5yHqIBjbQz8ed7u--3s"},
	{alg: "ES512",
		keyA: "BAGH7g035g25QuuFB1dkeG6YK-rhPz2v0z1pis7TLRtRhpgedxAbsrNgwB1EWfDVEdWtPJd--LEGsZjOUS4CX_Jt_wBY-gzO" +
			"widPVVoR7G8VvrDs0jM0O3CXepYJoT8v4zrT4WnHSEyNzV9leVobM4AD4nlu2ZMctrvqhHjn12hrsBtbyw",
		keyB: "BAGdOVcNtN7scGZOnbQXL9zGCLp_cvpTHEYFx2KRlGAAOKiQnzvGMgUKCM3q_0QblyGRn-pOEwJehcH0GTAdvKisqQARCUox" +
			"3lT_OIh2PtSE5nR_bv6O64Yx2X4cWb0ioBugRVVA3p_baykytjkYSllY92oZkgti7DQZHJ2D_nWOIaw8xg",
		sig: "AHhG7Q0JCTb4CbF9sM6nyV3MpW6MofauMlomGEyOvi8KiSXiRK7McI_W5awRRNNswf9_KNVPIllEzVbDIRaJJkHzABWctP2e" +
			"bNwdWErBFPVIg4_erxszMmpi4g92Qln1r_ukfMCSOQJnraym1XCrguIgimX9kX2G0F4B1k6nkbySXcHl"},
}
