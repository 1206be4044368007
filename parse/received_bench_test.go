package parse

import "testing"

// path20 is a realistic 20-hop path, newest first: outbound relays, content
// filters, Exchange Online's internal hops, Gmail and the origin.
var path20 = []string{
	"by 2001:db8:6a10:1234:b0:4e5:6789:abcd with SMTP id x1csp123456pxb; Thu, 1 Feb 2024 02:00:20 -0800 (PST)",
	"from mail.example.test (mail.example.test. [192.0.2.10]) by mx.google.com with ESMTPS id a1b2c3d4e5f6si1234567qkb.123.2024.02.01.02.00.19 for <someone@gmail.com> (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Thu, 01 Feb 2024 02:00:19 -0800 (PST)",
	"from AM0PR02MB1234.eurprd02.prod.outlook.com (2001:db8:208:1::10) by AM9PR02MB5678.eurprd02.prod.outlook.com (2001:db8:20b:2::20) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7828.20; Thu, 1 Feb 2024 10:00:18 +0000",
	"from mail.example.test (198.51.100.7) by DB5PEPF00012345.mail.protection.outlook.com (192.0.2.34) with Microsoft SMTP Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7828.12 via Frontend Transport; Thu, 1 Feb 2024 10:00:17 +0000",
	"from mail.example.test (mail.example.test [192.0.2.10])\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\t(No client certificate requested)\tby mx.example.test (Postfix) with ESMTPS id 4TQxyZ1abcz9sT\tfor <alice@example.test>; Thu,  1 Feb 2024 11:00:16 +0100 (CET)",
	"from mail.example.test ([127.0.0.1]) by localhost (mail.example.test [127.0.0.1]) (amavisd-new, port 10024) with ESMTP id AbCdEf123456 for <alice@example.test>; Thu, 1 Feb 2024 11:00:15 +0100 (CET)",
	"from mail.example.test ([192.0.2.20]:54321 helo=smtp.example.test)\tby mx.example.test with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\t(Exim 4.96)\t(envelope-from <alice@example.test>)\tid 1rVabc-000123-4X\tfor bob@example.test; Thu, 01 Feb 2024 10:00:14 +0000",
	"from [198.51.100.30] (port=41234 helo=client.example.test) by mx.example.test with esmtp (Exim 4.97.1) (envelope-from <x@example.test>) id 1rVabd-00000000AbC-1Def for y@example.test; Thu, 01 Feb 2024 10:00:13 +0000",
	"from spoofed.example.test (host-198-51-100-60.isp.example [198.51.100.60] (may be forged)) by mx.example.test (8.15.2/8.15.2) with ESMTP id 411A1C2d012346; Thu, 1 Feb 2024 02:00:12 -0800 (PST)",
	"from laptop.example.test (dsl-203-0-113-70.isp.example [203.0.113.70]) (authenticated bits=0) by smtp.example.test (8.17.1/8.17.1) with ESMTPSA id 411A2D3e012347 (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT) for <bob@example.test>; Thu, 1 Feb 2024 11:00:11 +0100",
	"from unknown (HELO mail.example.test) (192.0.2.100)  by mx.example.test with SMTP; 1 Feb 2024 10:00:10 -0000",
	"(qmail 12345 invoked from network); 1 Feb 2024 10:00:09 -0000",
	"from mail.example.test (mail.example.test [::ffff:192.0.2.130])  (AUTH: LOGIN alice@example.test, TLS: TLSv1.3,256bits,TLS_AES_256_GCM_SHA384)  by mx.example.test with ESMTPSA; Thu, 01 Feb 2024 10:00:08 +0000  id 0000000000A1B2C3.0000000065BB6F3C.00001234",
	"from mail.example.test (mail.example.test [192.0.2.140]) by mx.example.test (OpenSMTPD) with ESMTPS id 3e4f5a6b (TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO) for <alice@example.test>; Thu, 1 Feb 2024 10:00:07 +0000 (UTC)",
	"from 192.0.2.151 (EHLO mail.example.test) (192.0.2.151) by mta4012.mail.gq1.yahoo.com with SMTPS; Thu, 1 Feb 2024 10:00:06 +0000",
	"from helo.example.test (unknown [198.51.100.23]) by mx.example.test (Postfix) with ESMTP id 4TQy0B2Cdfz9sV for <bob@example.test>; Thu, 1 Feb 2024 10:00:05 +0000 (UTC)",
	"from mail6.example.test (mail6.example.test [IPv6:2001:db8:10::25]) by mx.example.test (Postfix) with ESMTPS id 4TQy1C3Defz9sW for <carol@example.test>; Thu, 1 Feb 2024 05:00:04 -0500",
	"from [192.168.1.20] (unknown [203.0.113.45]) (Authenticated sender: alice@example.test) by submission.example.test (Postfix) with ESMTPSA id 4TQy3E5Fghz9sY; Thu, 1 Feb 2024 11:00:03 +0100 (CET)",
	"from 192.0.2.150 by sonic301.consmr.mail.bf2.yahoo.com with HTTP; Thu, 1 Feb 2024 10:00:02 +0000",
	"by laptop.example.test (Postfix, from userid 1000) id 4TQy2D4Efgz9sX; Thu,  1 Feb 2024 11:00:01 +0100 (CET)",
}

var sink []Hop

func BenchmarkReceived(b *testing.B) {
	value := path20[4] // the long Postfix TLS stamp
	b.ReportAllocs()
	b.SetBytes(int64(len(value)))
	for b.Loop() {
		h := Received(value)
		if !h.Parsed {
			b.Fatal("not parsed")
		}
	}
}

func BenchmarkHops20(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sink = Hops(path20)
	}
	if len(sink) != 20 || !sink[19].HasDelay {
		b.Fatal("unexpected result")
	}
}
